//! Text → index terms for the FAQ robot. One function, [`terms`], used for both the stored
//! questions and the visitor's question so they meet in the same form:
//! - traditional Chinese becomes simplified (`fast2s`, character tables with a few
//!   context rules), full-width ASCII becomes ASCII, letters become lowercase;
//! - Chinese runs are segmented by jieba in search mode (a long word also yields its shorter
//!   words: 退货政策 → 退货, 政策, 退货政策), through one dictionary loaded lazily, once per
//!   process ([`jieba`]);
//! - Latin words are stemmed with the Snowball English stemmer (returns, returning → return);
//! - punctuation, and a short list of function words of either language that say nothing
//!   about the topic (的, 吗, 请问, the, do, …), are dropped.

use std::sync::LazyLock;

use jieba_rs::Jieba;
use rust_stemmers::{Algorithm, Stemmer};

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);
static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// The process's jieba (its dictionary, ~350 k words, is parsed on first use).
pub fn jieba() -> &'static Jieba {
    &JIEBA
}

/// Words that carry no topic. Compared after simplification and lowercasing, before stemming.
const STOP: &[&str] = &[
    // Chinese particles, pronouns, question forms.
    "的",
    "了",
    "吗",
    "呢",
    "啊",
    "吧",
    "呀",
    "么",
    "嘛",
    "哦",
    "我",
    "你",
    "您",
    "我们",
    "他",
    "她",
    "它",
    "是",
    "在",
    "有",
    "想",
    "要",
    "请",
    "请问",
    "问",
    "问下",
    "一下",
    "怎么",
    "怎么办",
    "怎样",
    "如何",
    "什么",
    "怎么样",
    "能",
    "能否",
    "可以",
    "可",
    "吗?",
    "和",
    "与",
    "及",
    "就",
    "都",
    "也",
    "还",
    "这",
    "那",
    "个",
    "这个",
    "那个",
    "哪",
    "哪里",
    "为什么",
    // English.
    "a",
    "an",
    "the",
    "is",
    "are",
    "am",
    "be",
    "been",
    "do",
    "does",
    "did",
    "i",
    "me",
    "my",
    "you",
    "your",
    "we",
    "our",
    "us",
    "it",
    "its",
    "to",
    "of",
    "in",
    "on",
    "at",
    "for",
    "and",
    "or",
    "please",
    "can",
    "could",
    "would",
    "should",
    "how",
    "what",
    "which",
    "where",
    "when",
    "why",
    "this",
    "that",
    "there",
    "with",
    "any",
    "get",
    "hi",
    "hello",
];

/// Traditional → simplified, full-width ASCII → ASCII, lowercase.
pub fn normalise(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect();
    fast2s::convert(&s).to_lowercase()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// The index terms of `s` (in order, with repeats).
pub fn terms(s: &str) -> Vec<String> {
    let s = normalise(s);
    let mut out = Vec::new();
    for tok in jieba().cut_for_search(&s, true) {
        let w = tok.word.trim();
        if w.is_empty() || STOP.contains(&w) {
            continue;
        }
        if w.chars().any(is_cjk) {
            // Keep only the Chinese characters (and any letters/digits glued to them).
            let w: String = w.chars().filter(|c| c.is_alphanumeric()).collect();
            if !w.is_empty() {
                out.push(w);
            }
        } else if w.chars().any(char::is_alphanumeric) {
            // jieba leaves Latin words whole; split on anything not a letter or digit.
            for part in w.split(|c: char| !c.is_alphanumeric()) {
                if part.is_empty() || STOP.contains(&part) {
                    continue;
                }
                out.push(STEMMER.stem(part).into_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_becomes_simplified() {
        assert_eq!(normalise("退貨運費怎麼算"), "退货运费怎么算");
        assert_eq!(normalise("ＡＢＣ１２３"), "abc123");
    }

    #[test]
    fn chinese_is_segmented_and_particles_dropped() {
        let t = terms("请问退货政策是什么？");
        assert!(t.contains(&"退货".to_string()), "{t:?}");
        assert!(t.contains(&"政策".to_string()), "{t:?}");
        assert!(
            !t.iter().any(|w| w == "请问" || w == "什么" || w == "是"),
            "{t:?}"
        );
    }

    #[test]
    fn english_is_stemmed() {
        assert_eq!(terms("How do I return items?"), vec!["return", "item"]);
        assert_eq!(terms("Returning an item"), vec!["return", "item"]);
    }

    #[test]
    fn traditional_and_simplified_give_the_same_terms() {
        assert_eq!(terms("如何修改收貨地址"), terms("如何修改收货地址"));
    }
}
