//! Generates the console's string table (`$OUT_DIR/texts.rs`, included by `src/i18n.rs`):
//! the `console-…` keys of `shared/locales/{cn,en,tw}.ftl`, with the widget's generator
//! (`shared/locales/gen.rs`), as `ConsoleTexts` and one `static` per locale.

include!("../shared/locales/gen.rs");

fn main() {
    generate("console/build.rs", |table| table == "console");
}
