//! The workbench's operator settings (issue 25): a site's summary rules (whether ending a
//! chat needs a category and a summary, and the categories offered).

use super::*;

/// Most categories a site offers.
pub const MAX_CATEGORIES: usize = 50;

/// Sets site `sysnum`'s summary rules; `None` leaves one as it is. `categories` is
/// comma-separated (`""`: any text); each 1-64 characters.
pub async fn set_summary_rules(
    db: &Db,
    sysnum: &str,
    required: Option<bool>,
    categories: Option<&str>,
) -> Result<(), AdminError> {
    let site = site_of(db, sysnum).await?;
    let categories = match categories {
        None => None,
        Some(list) => {
            let mut clean: Vec<String> = Vec::new();
            for c in list
                .split([',', '，'])
                .map(str::trim)
                .filter(|c| !c.is_empty())
            {
                check_name("category", c, shared::workbench::MAX_CATEGORY_CHARS)?;
                if !clean.iter().any(|x| x == c) {
                    clean.push(c.to_owned());
                }
            }
            if clean.len() > MAX_CATEGORIES {
                return Err(AdminError::Invalid(format!(
                    "at most {MAX_CATEGORIES} categories"
                )));
            }
            Some(clean.join(","))
        }
    };
    db.set_summary_rules(site.id, required, categories).await?;
    Ok(())
}
