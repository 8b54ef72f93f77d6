//! Leave-message templates and the list of left messages (`frontdesk admin leave …`).
//! A template field is given as `KIND[*]:LABEL` — `text`, `phone` or `email`, `*` when it is
//! required — and named `f1`, `f2`, … by its position (what pages send it as).

use shared::leave::{Field, FieldKind, LeftMessage, Template, MAX_FIELDS, MAX_LABEL_CHARS};

use super::{check_name, site_id, AdminError};
use crate::db::Db;

/// One `KIND[*]:LABEL` as field number `n` (1-based).
fn parse_field(n: usize, spec: &str) -> Result<Field, AdminError> {
    let bad = || {
        AdminError::Invalid(format!(
            "field {spec:?}: expected KIND[*]:LABEL, KIND one of text, phone, email"
        ))
    };
    let (kind, label) = spec.split_once(':').ok_or_else(bad)?;
    let (kind, required) = match kind.trim().strip_suffix('*') {
        Some(k) => (k, true),
        None => (kind.trim(), false),
    };
    let kind = FieldKind::parse(kind).ok_or_else(bad)?;
    let label = label.trim();
    check_name("a field's label", label, MAX_LABEL_CHARS)?;
    Ok(Field {
        name: format!("f{n}"),
        label: label.to_owned(),
        kind,
        required,
    })
}

/// Adds a template to the site; returns it with its `templateid`.
pub async fn add_leave_template(
    db: &Db,
    sysnum: &str,
    name: &str,
    fields: &[String],
) -> Result<Template, AdminError> {
    let site = site_id(db, sysnum).await?;
    check_name("the template's name", name, 100)?;
    if fields.len() > MAX_FIELDS {
        return Err(AdminError::Invalid(format!(
            "a template has at most {MAX_FIELDS} fields"
        )));
    }
    let fields = fields
        .iter()
        .enumerate()
        .map(|(i, f)| parse_field(i + 1, f))
        .collect::<Result<Vec<_>, _>>()?;
    let json =
        serde_json::to_string(&fields).map_err(|e| AdminError::Invalid(format!("fields: {e}")))?;
    let row = db.create_leave_template(site, name.trim(), &json).await?;
    Ok(crate::wire::left_template(&row))
}

/// The site's templates, by `templateid`.
pub async fn leave_templates(db: &Db, sysnum: &str) -> Result<Vec<Template>, AdminError> {
    let site = site_id(db, sysnum).await?;
    Ok(db
        .leave_templates(site)
        .await?
        .iter()
        .map(crate::wire::left_template)
        .collect())
}

/// The site's left messages, newest first (at most `limit`).
pub async fn left_messages(
    db: &Db,
    sysnum: &str,
    limit: i64,
) -> Result<Vec<LeftMessage>, AdminError> {
    let site = site_id(db, sysnum).await?;
    Ok(db
        .left_messages(site, None, limit, 0)
        .await?
        .into_iter()
        .map(crate::wire::left_message)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_parse_from_kind_and_label() {
        let f = parse_field(2, "phone*:手机号").unwrap();
        assert_eq!(
            (f.name.as_str(), f.label.as_str(), f.kind, f.required),
            ("f2", "手机号", FieldKind::Phone, true)
        );
        assert!(!parse_field(1, "text:Order number").unwrap().required);
        for bad in ["phone", "html:x", "text:", "email:a\u{202e}b"] {
            assert!(parse_field(1, bad).is_err(), "{bad}");
        }
    }
}
