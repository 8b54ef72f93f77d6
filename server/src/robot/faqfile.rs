//! FAQ entries as operators write them: one entry's validation ([`validate`]) and an import
//! file's parsing ([`parse`]), shared by `frontdesk admin faq add|import` and the admin REST
//! API. Pure.
//!
//! An import file is either CSV with a header naming the columns `question`, `answer` and
//! optionally `similar` (several phrasings separated by `|`) and `faq_group`, in any order,
//! quoted as RFC 4180 (the `csv` crate); or JSON lines (the first non-blank character is
//! `{`), one object per line with those keys, `similar` a string (split on `|`) or an array of
//! strings, `faq_group` a number or a numeric string. Every row is checked on its own: a bad
//! row is reported with its line number and the reason, the good rows are kept.

use serde_json::Value;

use crate::db::NewFaq;

/// Longest question or similar phrasing, in characters.
pub const MAX_QUESTION: usize = 500;
/// Longest answer, in characters.
pub const MAX_ANSWER: usize = 5000;
/// Most similar phrasings per entry.
pub const MAX_SIMILAR: usize = 50;
/// Most rows in one import.
pub const MAX_ROWS: usize = 20_000;

/// One entry from the operator's values; the reason it is refused otherwise.
pub fn validate(
    question: &str,
    answer: &str,
    similar: &[String],
    faq_group: Option<i64>,
) -> Result<NewFaq, String> {
    let text_ok = |s: &str| !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t');
    let question = question.trim();
    if question.is_empty() || question.chars().count() > MAX_QUESTION {
        return Err(format!("question must be 1-{MAX_QUESTION} characters"));
    }
    if !text_ok(question) || question.contains('\n') {
        return Err("question may not contain line breaks or control characters".into());
    }
    let answer = answer.trim();
    if answer.is_empty() || answer.chars().count() > MAX_ANSWER {
        return Err(format!("answer must be 1-{MAX_ANSWER} characters"));
    }
    if !text_ok(answer) {
        return Err("answer may not contain control characters".into());
    }
    let similar: Vec<String> = similar
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if similar.len() > MAX_SIMILAR {
        return Err(format!("at most {MAX_SIMILAR} similar phrasings"));
    }
    for s in &similar {
        if s.chars().count() > MAX_QUESTION || !text_ok(s) || s.contains('\n') {
            return Err(format!(
                "each similar phrasing must be one line of 1-{MAX_QUESTION} characters"
            ));
        }
    }
    if let Some(g) = faq_group {
        if g < 1 {
            return Err("faq_group must be a positive integer".into());
        }
    }
    Ok(NewFaq {
        faq_group,
        question: question.to_owned(),
        answer: answer.to_owned(),
        similar,
    })
}

/// A row of an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line of the file where the row starts.
    pub line: u64,
    pub faq: Result<NewFaq, String>,
}

/// A whole file refused (no row could be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FileError(pub String);

fn split_similar(s: &str) -> Vec<String> {
    s.split('|').map(str::to_owned).collect()
}

fn parse_group(s: &str) -> Result<Option<i64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<i64>()
        .map(Some)
        .map_err(|_| "faq_group must be a positive integer".into())
}

/// The rows of an import file (CSV or JSON lines, see the module doc).
pub fn parse(text: &str) -> Result<Vec<Row>, FileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rows = if text.trim_start().starts_with('{') {
        parse_jsonl(text)
    } else {
        parse_csv(text)?
    };
    if rows.len() > MAX_ROWS {
        return Err(FileError(format!("at most {MAX_ROWS} rows per import")));
    }
    Ok(rows)
}

fn parse_csv(text: &str) -> Result<Vec<Row>, FileError> {
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = rd
        .headers()
        .map_err(|e| FileError(format!("line 1: unreadable CSV header: {e}")))?
        .clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(q), Some(a)) = (col("question"), col("answer")) else {
        return Err(FileError(
            "line 1: the CSV header must name the columns question,answer[,similar,faq_group]"
                .into(),
        ));
    };
    let (s, g) = (col("similar"), col("faq_group"));
    if let Some(unknown) = header.iter().find(|h| {
        !["question", "answer", "similar", "faq_group"]
            .iter()
            .any(|k| h.trim().eq_ignore_ascii_case(k))
    }) {
        return Err(FileError(format!(
            "line 1: unknown CSV column {unknown:?} (expected question,answer,similar,faq_group)"
        )));
    }
    let mut out = Vec::new();
    for rec in rd.records() {
        let (line, faq) = match rec {
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                (line, Err(format!("unreadable CSV: {e}")))
            }
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line());
                if r.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                let field = |i: Option<usize>| i.and_then(|i| r.get(i)).unwrap_or("");
                let faq = if r.len() > header.len() {
                    Err(format!(
                        "{} fields, the header has {} (quote fields holding commas)",
                        r.len(),
                        header.len()
                    ))
                } else {
                    parse_group(field(g)).and_then(|group| {
                        validate(
                            field(Some(q)),
                            field(Some(a)),
                            &split_similar(field(s)),
                            group,
                        )
                    })
                };
                (line, faq)
            }
        };
        out.push(Row { line, faq });
    }
    Ok(out)
}

fn parse_jsonl(text: &str) -> Vec<Row> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        out.push(Row {
            line: i as u64 + 1,
            faq: jsonl_row(l),
        });
    }
    out
}

fn jsonl_row(l: &str) -> Result<NewFaq, String> {
    let v: Value = serde_json::from_str(l).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(o) = v else {
        return Err("not a JSON object".into());
    };
    if let Some(k) = o
        .keys()
        .find(|k| !["question", "answer", "similar", "faq_group"].contains(&k.as_str()))
    {
        return Err(format!("unknown key {k:?}"));
    }
    let text = |k: &str| match o.get(k) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("{k} must be a string")),
    };
    let question = text("question")?;
    let answer = text("answer")?;
    let similar = match o.get("similar") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => split_similar(s),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or("similar must be a string or an array of strings")?,
        Some(_) => return Err("similar must be a string or an array of strings".into()),
    };
    let group = match o.get("faq_group") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_i64().ok_or("faq_group must be a positive integer")?),
        Some(Value::String(s)) => parse_group(s)?,
        Some(_) => return Err("faq_group must be a positive integer".into()),
    };
    validate(&question, &answer, &similar, group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_quoting_and_bad_rows() {
        let text = "question,answer,similar,faq_group\n\
                    如何退货,\"在订单页申请, 七天内\",退货|退掉,1\n\
                    ,no question,,\n\
                    \"multi\nline answer ok?\",\"yes,\nreally\",,\n\
                    发票,开票,,x\n\
                    Hours,9-18,,\n";
        let rows = parse(text).unwrap();
        assert_eq!(rows.len(), 5);
        let ok = rows[0].faq.as_ref().unwrap();
        assert_eq!(ok.answer, "在订单页申请, 七天内");
        assert_eq!(ok.similar, vec!["退货", "退掉"]);
        assert_eq!(ok.faq_group, Some(1));
        assert_eq!(rows[1].line, 3);
        assert!(rows[1].faq.as_ref().unwrap_err().contains("question"));
        // A question with a line break is refused; the row's line is where it starts.
        assert_eq!(rows[2].line, 4);
        assert!(rows[2].faq.is_err());
        assert_eq!(rows[3].line, 7);
        assert!(rows[3].faq.as_ref().unwrap_err().contains("faq_group"));
        assert_eq!(rows[4].line, 8);
        assert!(rows[4].faq.is_ok());
    }

    #[test]
    fn csv_header_is_required() {
        assert!(parse("q,a\nx,y\n").is_err());
        assert!(parse("question,answer,colour\nx,y,z\n").is_err());
        let rows = parse("answer,question\nA,Q\n").unwrap();
        assert_eq!(rows[0].faq.as_ref().unwrap().question, "Q");
    }

    #[test]
    fn json_lines() {
        let text = "{\"question\":\"Q1\",\"answer\":\"A1\",\"similar\":[\"q one\",\"first\"],\"faq_group\":2}\n\
                    \n\
                    {\"question\":\"Q2\",\"answer\":\"A2\",\"similar\":\"a|b\"}\n\
                    not json\n\
                    {\"question\":\"Q3\"}\n\
                    {\"question\":\"Q4\",\"answer\":\"A4\",\"faq_group\":\"3\"}\n";
        let rows = parse(text).unwrap();
        assert_eq!(rows.len(), 5);
        assert_eq!(
            rows[0].faq.as_ref().unwrap().similar,
            vec!["q one", "first"]
        );
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].faq.as_ref().unwrap().similar, vec!["a", "b"]);
        assert_eq!(rows[2].line, 4);
        assert!(rows[2].faq.is_err());
        assert!(rows[3].faq.as_ref().unwrap_err().contains("answer"));
        assert_eq!(rows[4].faq.as_ref().unwrap().faq_group, Some(3));
    }
}
