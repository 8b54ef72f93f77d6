// The string-table generator of `shared/locales/{cn,en,tw}.ftl`, included (`include!`) by
// the build scripts of the widget (`widget/build.rs`: every table but `console`) and of the
// agent console (`console/build.rs`: the `console` table only), so both crates read the same
// files the same way and each links only its own strings.
//
// The files are Fluent (projectfluent.org), parsed by the `fluent-syntax` crate, so a
// translator's tools and Fluent's own syntax apply: `#` comments, multi-line values,
// `{ $name }` variables, `{ -term }` references to terms, string literals (`{"{"}` for a
// literal brace). Each message id is `<table>-<name>`: a table is one struct,
// `<Table>Texts` with a field per name, and one `static` per locale (`CHAT_CN`, `CHAT_EN`,
// …). Everything is resolved here, at build time: a value without a variable is a `&str`;
// with `n` of them an array of the `n + 1` pieces around them, which the code fills in order.
// What needs a runtime (select expressions, functions, message references, attributes) is a
// build error, as is a syntax error, a locale lacking a message, or a locale whose message
// has other variables (or the same ones in another order) than cn.ftl's.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};

const LOCALES: [(&str, &str); 3] = [("cn", "Cn"), ("en", "En"), ("tw", "Tw")];

/// A message's value: its pieces around the variables, and the variables' names in order.
struct Pieces {
    pieces: Vec<String>,
    vars: Vec<String>,
}

fn parse(path: &Path) -> BTreeMap<String, Pieces> {
    let where_ = path.display();
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {where_}: {e}"));
    let resource = fluent_syntax::parser::parse(text.as_str())
        .unwrap_or_else(|(_, errors)| panic!("{where_}: not valid Fluent: {errors:?}"));
    let terms: BTreeMap<&str, &Pattern<&str>> = resource
        .body
        .iter()
        .filter_map(|e| match e {
            Entry::Term(t) => Some((t.id.name, &t.value)),
            _ => None,
        })
        .collect();
    let mut out = BTreeMap::new();
    for entry in &resource.body {
        let Entry::Message(m) = entry else { continue };
        let key = m.id.name;
        assert!(
            key.contains('-')
                && key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{where_}: message `{key}` must be `table-name` in lowercase"
        );
        assert!(
            m.attributes.is_empty(),
            "{where_}: `{key}`: attributes are not supported in static tables"
        );
        let value = m
            .value
            .as_ref()
            .unwrap_or_else(|| panic!("{where_}: `{key}` has no value"));
        let mut p = Pieces {
            pieces: vec![String::new()],
            vars: Vec::new(),
        };
        flatten(value, &terms, &mut p, &format!("{where_}: `{key}`"));
        assert!(
            out.insert(key.to_owned(), p).is_none(),
            "{where_}: `{key}` given twice"
        );
    }
    out
}

/// Appends `pattern` to `p`: text and literals to the current piece, a variable starts the
/// next one, a term is inlined.
fn flatten(pattern: &Pattern<&str>, terms: &BTreeMap<&str, &Pattern<&str>>, p: &mut Pieces, at: &str) {
    for element in &pattern.elements {
        match element {
            PatternElement::TextElement { value } => p.pieces.last_mut().unwrap().push_str(value),
            PatternElement::Placeable { expression } => placeable(expression, terms, p, at),
        }
    }
}

fn placeable(e: &Expression<&str>, terms: &BTreeMap<&str, &Pattern<&str>>, p: &mut Pieces, at: &str) {
    let Expression::Inline(inline) = e else {
        panic!("{at}: select expressions need a runtime; use one message per case")
    };
    match inline {
        InlineExpression::VariableReference { id } => {
            p.vars.push(id.name.to_owned());
            p.pieces.push(String::new());
        }
        InlineExpression::StringLiteral { value } => p
            .pieces
            .last_mut()
            .unwrap()
            .push_str(&fluent_syntax::unicode::unescape_unicode_to_string(value)),
        InlineExpression::NumberLiteral { value } => p.pieces.last_mut().unwrap().push_str(value),
        InlineExpression::TermReference {
            id,
            attribute: None,
            arguments: None,
        } => {
            let term = terms
                .get(id.name)
                .unwrap_or_else(|| panic!("{at}: no term `-{}`", id.name));
            flatten(term, terms, p, at);
        }
        InlineExpression::Placeable { expression } => placeable(expression, terms, p, at),
        _ => panic!("{at}: functions, message references and parameterised terms need a runtime"),
    }
}

fn camel(table: &str) -> String {
    let mut c = table.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase())
        .into_iter()
        .chain(c)
        .collect()
}

/// Writes `$OUT_DIR/texts.rs` with the tables `keep` accepts; `by` names the build script in
/// the generated file's first line.
#[allow(dead_code)]
fn generate(by: &str, keep: impl Fn(&str) -> bool) {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../shared/locales");
    println!("cargo:rerun-if-changed={}", dir.display());
    let files: Vec<BTreeMap<String, Pieces>> = LOCALES
        .iter()
        .map(|(l, _)| {
            let p = dir.join(format!("{l}.ftl"));
            println!("cargo:rerun-if-changed={}", p.display());
            parse(&p)
        })
        .collect();
    let base = &files[0];
    for (i, f) in files.iter().enumerate().skip(1) {
        for (k, v) in base {
            let other = f
                .get(k)
                .unwrap_or_else(|| panic!("{}.ftl lacks `{k}`", LOCALES[i].0));
            assert_eq!(
                other.vars, v.vars,
                "`{k}`: the variables differ in {}.ftl",
                LOCALES[i].0
            );
        }
        for k in f.keys() {
            assert!(
                base.contains_key(k),
                "{}.ftl has `{k}`, which cn.ftl lacks",
                LOCALES[i].0
            );
        }
    }
    // table → [(field, pieces count)]
    let mut tables: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
    for (k, v) in base {
        let (table, name) = k.split_once('-').expect("checked");
        if !keep(table) {
            continue;
        }
        tables
            .entry(table.to_owned())
            .or_default()
            .push((name.replace('-', "_"), v.pieces.len()));
    }
    let mut out = format!("// Generated by {by} from shared/locales/*.ftl: edit those.\n");
    for (table, fields) in &tables {
        let ty = format!("{}Texts", camel(table));
        writeln!(out, "/// The `{table}-…` strings of one locale.").unwrap();
        writeln!(
            out,
            "#[allow(dead_code)]\npub struct {ty} {{\n    pub locale: shared::config::Locale,"
        )
        .unwrap();
        for (f, n) in fields {
            if *n == 1 {
                writeln!(out, "    pub {f}: &'static str,").unwrap();
            } else {
                writeln!(out, "    pub {f}: [&'static str; {n}],").unwrap();
            }
        }
        out.push_str("}\n");
        for (i, (l, variant)) in LOCALES.iter().enumerate() {
            writeln!(
                out,
                "#[allow(dead_code)]\npub static {}_{}: {ty} = {ty} {{\n    locale: shared::config::Locale::{variant},",
                table.to_ascii_uppercase(),
                l.to_ascii_uppercase()
            )
            .unwrap();
            for (f, n) in fields {
                let key = format!("{table}-{}", f.replace('_', "-"));
                let pieces = &files[i][&key].pieces;
                if *n == 1 {
                    writeln!(out, "    {f}: {:?},", pieces[0]).unwrap();
                } else {
                    writeln!(out, "    {f}: {:?},", pieces).unwrap();
                }
            }
            out.push_str("};\n");
        }
        writeln!(
            out,
            "/// The `{table}` table of `locale`.\n#[allow(dead_code)]\npub fn {table}(locale: shared::config::Locale) -> &'static {ty} {{\n    match locale {{"
        )
        .unwrap();
        for (l, variant) in LOCALES {
            writeln!(
                out,
                "        shared::config::Locale::{variant} => &{}_{},",
                table.to_ascii_uppercase(),
                l.to_ascii_uppercase()
            )
            .unwrap();
        }
        out.push_str("    }\n}\n");
    }
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("texts.rs");
    std::fs::write(dest, out).unwrap();
}
