//! Where the files browsers load come from: a folder (`--web-dir`, `--public-dir`: a
//! checkout during development, or the e2e tests' build), or the copies a release build
//! embedded (`build.rs`: `dist/` and `public/` with their precompressed `.br`/`.gz`
//! siblings, so the one binary is an install). `web.rs` asks for files by their path below
//! the root and never sees which it is.
//!
//! A path is plain names joined by `/` (letters, digits, `.`, `_`, `-`; no empty or hidden
//! segment), so nothing outside the root can be named.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use axum::body::Bytes;

#[cfg(frontdesk_embedded)]
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// A root of files: a folder, or a table built into the binary (sorted by path).
#[derive(Debug, Clone)]
pub enum Assets {
    Dir(PathBuf),
    Embedded(&'static [(&'static str, &'static [u8])]),
}

impl Assets {
    /// The built widget bundles and console (`chat/`, `launcher/`, `extras/`, `console/`,
    /// `entrance.js`): embedded when this binary has them, else `./dist` (or the checkout's).
    pub fn web() -> Assets {
        #[cfg(frontdesk_embedded)]
        return Assets::Embedded(embedded::WEB);
        #[cfg(not(frontdesk_embedded))]
        Assets::Dir(crate::default_dir("dist"))
    }

    /// The static files (`entrance.js`, `demo/`): embedded when this binary has them, else
    /// `./public` (or the checkout's).
    pub fn public() -> Assets {
        #[cfg(frontdesk_embedded)]
        return Assets::Embedded(embedded::PUBLIC);
        #[cfg(not(frontdesk_embedded))]
        Assets::Dir(crate::default_dir("public"))
    }

    /// Whether this binary has the widget, console and static files inside.
    pub fn embedded() -> bool {
        cfg!(frontdesk_embedded)
    }

    /// What `serve` prints about where the files come from.
    pub fn describe(&self) -> String {
        match self {
            Assets::Dir(d) => d.display().to_string(),
            Assets::Embedded(t) => format!("built in ({} files)", t.len()),
        }
    }

    fn lookup(table: &'static [(&'static str, &'static [u8])], rel: &str) -> Option<Bytes> {
        table
            .binary_search_by(|(p, _)| (*p).cmp(rel))
            .ok()
            .map(|i| Bytes::from_static(table[i].1))
    }

    /// The file at `rel`, or `None` (missing, or not a plain path).
    pub async fn read(&self, rel: &str) -> Option<Bytes> {
        if !plain(rel) {
            return None;
        }
        match self {
            Assets::Dir(d) => {
                let p = d.join(rel);
                if !tokio::fs::metadata(&p).await.is_ok_and(|m| m.is_file()) {
                    return None;
                }
                tokio::fs::read(p).await.ok().map(Bytes::from)
            }
            Assets::Embedded(t) => Self::lookup(t, rel),
        }
    }

    /// Whether the file at `rel` exists.
    pub async fn exists(&self, rel: &str) -> bool {
        if !plain(rel) {
            return false;
        }
        match self {
            Assets::Dir(d) => tokio::fs::metadata(d.join(rel))
                .await
                .is_ok_and(|m| m.is_file()),
            Assets::Embedded(t) => t.binary_search_by(|(p, _)| (*p).cmp(rel)).is_ok(),
        }
    }

    /// Whether anything was built below the folder `dir` (to tell "not built" from "no such
    /// file").
    pub fn has_dir(&self, dir: &str) -> bool {
        match self {
            Assets::Dir(d) => d.join(dir).is_dir(),
            Assets::Embedded(t) => {
                let prefix = format!("{dir}/");
                t.iter().any(|(p, _)| p.starts_with(&prefix))
            }
        }
    }

    /// A short version of the files at `rels`: changes when any of them does (folder: size
    /// and modification time; embedded: the bytes).
    pub async fn version(&self, rels: &[&str]) -> String {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for rel in rels {
            match self {
                Assets::Dir(d) => {
                    if let Ok(m) = tokio::fs::metadata(d.join(rel)).await {
                        m.len().hash(&mut h);
                        m.modified().ok().hash(&mut h);
                    }
                }
                Assets::Embedded(t) => Self::lookup(t, rel).hash(&mut h),
            }
        }
        format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
    }
}

impl From<PathBuf> for Assets {
    fn from(d: PathBuf) -> Assets {
        Assets::Dir(d)
    }
}

impl From<&Path> for Assets {
    fn from(d: &Path) -> Assets {
        Assets::Dir(d.to_path_buf())
    }
}

/// Plain names joined by `/`: no empty, hidden (`.`, `..`) or odd segment.
pub fn plain(rel: &str) -> bool {
    rel.split('/').all(|seg| {
        !seg.is_empty()
            && !seg.starts_with('.')
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    static TABLE: &[(&str, &[u8])] = &[
        ("chat/index.html", b"<p>chat"),
        ("chat/index.html.br", b"br"),
        ("entrance.js", b"js"),
    ];

    #[tokio::test]
    async fn embedded_files_are_found_by_plain_paths_only() {
        let a = Assets::Embedded(TABLE);
        assert_eq!(
            a.read("chat/index.html").await.as_deref(),
            Some(&b"<p>chat"[..])
        );
        assert!(a.exists("chat/index.html.br").await);
        assert!(!a.exists("chat/index.html.gz").await);
        assert!(a.has_dir("chat"));
        assert!(!a.has_dir("console"));
        assert_eq!(a.read("../entrance.js").await, None);
        assert_eq!(a.read("chat//index.html").await, None);
        assert_ne!(
            a.version(&["entrance.js"]).await,
            a.version(&["chat/index.html"]).await
        );
    }

    #[test]
    fn plain_refuses_traversal() {
        assert!(plain("a/b.js"));
        assert!(!plain("../etc/passwd"));
        assert!(!plain("a//b"));
        assert!(!plain(".hidden"));
        assert!(!plain("a%2f..%2fb"));
        assert!(!plain(""));
    }
}
