//! Generates the widget's string tables (`$OUT_DIR/texts.rs`, included by `src/i18n.rs`)
//! from one file per locale, `shared/locales/{cn,en,tw}.ftl`, with the generator the agent
//! console shares (`shared/locales/gen.rs`: the format, the checks, the generated shapes).
//!
//! Each bundle links only the tables it uses, so the host page's launcher does not carry the
//! chat page's strings, and the chat page not those of its lazy tier. The console's table
//! (`console-…` keys) is left to `console/build.rs`.

include!("../shared/locales/gen.rs");

fn main() {
    generate("widget/build.rs", |table| table != "console");
}
