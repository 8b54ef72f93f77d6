//! One robot's FAQ as a search index, and the decision what to answer. Pure: built from the
//! stored entries, queried with a question, no I/O.
//!
//! Every phrasing of an entry (its question and each similar phrasing) is a document of its
//! terms (`text::terms`). A question is answered in two steps:
//! 1. **Ranking, BM25** (k1 = 1.2, b = 0.75) over the documents through an inverted index:
//!    the best [`CANDIDATES`] documents that share a term with the question (of the asked FAQ
//!    group only, if one was asked).
//! 2. **Confidence** of each candidate, in 0..=1, from IDF weights: how much of the
//!    question's weight the document covers (`q`, unknown words count with the highest IDF,
//!    so a question about something else is not confident) and how much of the document's
//!    weight the question covers (`d`): `0.6·q + 0.4·d`. An entry's confidence is its best
//!    phrasing's; entries are ordered by it (BM25 breaks ties).
//!
//! Then [`ANSWER_AT`] or more with a lead of [`MARGIN`] over the next entry (or an exact match
//! of terms) is an answer; otherwise entries at [`SUGGEST_AT`] or more (at most
//! [`MAX_SUGGESTIONS`]) are suggestions; otherwise the robot does not know.

use std::collections::HashMap;

use super::text::terms;
use crate::db::FaqRow;

/// Confidence from which the best entry is the answer (if it leads by [`MARGIN`]).
pub const ANSWER_AT: f32 = 0.6;
/// The lead over the second entry a confident answer needs.
pub const MARGIN: f32 = 0.1;
/// Confidence from which an entry is offered as a suggestion.
pub const SUGGEST_AT: f32 = 0.3;
/// At most this many suggestions.
pub const MAX_SUGGESTIONS: usize = 5;
/// Documents scored for confidence after BM25 ranking.
pub const CANDIDATES: usize = 50;

const K1: f32 = 1.2;
const B: f32 = 0.75;

struct Entry {
    faq_id: i64,
    group: Option<i64>,
    question: String,
    answer: String,
}

struct Doc {
    entry: u32,
    len: f32,
    /// Sum of the IDF of its distinct terms.
    weight: f32,
    /// Its distinct terms are exactly these (sorted), for the exact-match rule.
    terms: Vec<u32>,
}

/// A robot's FAQ, searchable.
pub struct Index {
    entries: Vec<Entry>,
    docs: Vec<Doc>,
    term_ids: HashMap<String, u32>,
    /// Per term: (document, term frequency).
    postings: Vec<Vec<(u32, u16)>>,
    idf: Vec<f32>,
    /// The IDF a term in no document would have.
    idf_unknown: f32,
    avg_len: f32,
}

/// What the index found for a question.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    Answer {
        faq_id: i64,
        answer: String,
    },
    /// The questions (as stored) of the closest entries, best first.
    Unsure(Vec<String>),
    Nothing,
}

impl Index {
    /// Builds the index of `faqs`.
    pub fn build(faqs: &[FaqRow]) -> Index {
        let mut entries = Vec::with_capacity(faqs.len());
        let mut raw_docs: Vec<(u32, Vec<u32>)> = Vec::new();
        let mut term_ids: HashMap<String, u32> = HashMap::new();
        for f in faqs {
            let e = entries.len() as u32;
            entries.push(Entry {
                faq_id: f.id,
                group: f.faq_group,
                question: f.question.clone(),
                answer: f.answer.clone(),
            });
            for phrasing in std::iter::once(&f.question).chain(&f.similar) {
                let ts: Vec<u32> = terms(phrasing)
                    .into_iter()
                    .map(|t| {
                        let n = term_ids.len() as u32;
                        *term_ids.entry(t).or_insert(n)
                    })
                    .collect();
                if !ts.is_empty() {
                    raw_docs.push((e, ts));
                }
            }
        }
        let mut postings: Vec<Vec<(u32, u16)>> = vec![Vec::new(); term_ids.len()];
        let mut total_len = 0usize;
        for (d, (_, ts)) in raw_docs.iter().enumerate() {
            total_len += ts.len();
            let mut tf: HashMap<u32, u16> = HashMap::new();
            for &t in ts {
                *tf.entry(t).or_default() += 1;
            }
            for (t, n) in tf {
                postings[t as usize].push((d as u32, n));
            }
        }
        let n = raw_docs.len() as f32;
        let idf_of = |df: f32| (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        let idf: Vec<f32> = postings.iter().map(|p| idf_of(p.len() as f32)).collect();
        let docs = raw_docs
            .into_iter()
            .map(|(entry, ts)| {
                let len = ts.len() as f32;
                let mut distinct = ts;
                distinct.sort_unstable();
                distinct.dedup();
                Doc {
                    entry,
                    len,
                    weight: distinct.iter().map(|&t| idf[t as usize]).sum(),
                    terms: distinct,
                }
            })
            .collect::<Vec<_>>();
        let avg_len = if docs.is_empty() {
            1.0
        } else {
            total_len as f32 / docs.len() as f32
        };
        Index {
            entries,
            docs,
            term_ids,
            postings,
            idf,
            idf_unknown: idf_of(0.0),
            avg_len,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Up to `n` questions (of FAQ group `group` if given), in stored order.
    pub fn questions(&self, group: Option<i64>, n: usize) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| group.is_none() || e.group == group)
            .take(n)
            .map(|e| e.question.clone())
            .collect()
    }

    /// The entries matching `question`, confidence-ordered: (entry, confidence, bm25, exact).
    fn rank(&self, question: &str, group: Option<i64>) -> Vec<(u32, f32, f32, bool)> {
        // Distinct terms (each unknown word counts on its own), then their ids.
        let mut words = terms(question);
        words.sort_unstable();
        words.dedup();
        let q: Vec<Option<u32>> = words
            .iter()
            .map(|t| self.term_ids.get(t).copied())
            .collect();
        let q_weight: f32 = q
            .iter()
            .map(|t| t.map_or(self.idf_unknown, |t| self.idf[t as usize]))
            .sum();
        if q_weight <= 0.0 {
            return Vec::new();
        }
        let mut known: Vec<u32> = q.iter().flatten().copied().collect();
        known.sort_unstable();
        // BM25 and matched IDF weight per document.
        let mut acc: HashMap<u32, (f32, f32)> = HashMap::new();
        for &t in &known {
            let idf = self.idf[t as usize];
            for &(d, tf) in &self.postings[t as usize] {
                let doc = &self.docs[d as usize];
                if group.is_some() && self.entries[doc.entry as usize].group != group {
                    continue;
                }
                let tf = f32::from(tf);
                let s = idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * doc.len / self.avg_len));
                let a = acc.entry(d).or_default();
                a.0 += s;
                a.1 += idf;
            }
        }
        let mut docs: Vec<(u32, f32, f32)> = acc.into_iter().map(|(d, (s, m))| (d, s, m)).collect();
        docs.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        docs.truncate(CANDIDATES);
        let exact_q = known.len() == q.len();
        let mut best: HashMap<u32, (f32, f32, bool)> = HashMap::new();
        for (d, bm25, matched) in docs {
            let doc = &self.docs[d as usize];
            let qc = matched / q_weight;
            let dc = if doc.weight > 0.0 {
                matched / doc.weight
            } else {
                0.0
            };
            let conf = (0.6 * qc + 0.4 * dc).min(1.0);
            let exact = exact_q && doc.terms == known;
            let b = best.entry(doc.entry).or_insert((0.0, 0.0, false));
            if (conf, bm25) > (b.0, b.1) {
                *b = (conf, bm25, b.2 || exact);
            } else {
                b.2 |= exact;
            }
        }
        let mut out: Vec<(u32, f32, f32, bool)> = best
            .into_iter()
            .map(|(e, (c, s, x))| (e, c, s, x))
            .collect();
        out.sort_unstable_by(|a, b| {
            b.3.cmp(&a.3)
                .then(b.1.total_cmp(&a.1))
                .then(b.2.total_cmp(&a.2))
                .then(a.0.cmp(&b.0))
        });
        out
    }

    /// What to answer to `question`, among the entries of FAQ group `group` if given.
    pub fn search(&self, question: &str, group: Option<i64>) -> Found {
        let ranked = self.rank(question, group);
        let Some(&(top, conf, _, exact)) = ranked.first() else {
            return Found::Nothing;
        };
        let second = ranked.get(1);
        let leads = match second {
            None => true,
            Some(&(_, c2, _, x2)) => (exact && !x2) || conf - c2 >= MARGIN,
        };
        if (exact || conf >= ANSWER_AT) && leads {
            let e = &self.entries[top as usize];
            return Found::Answer {
                faq_id: e.faq_id,
                answer: e.answer.clone(),
            };
        }
        let suggestions: Vec<String> = ranked
            .iter()
            .filter(|r| r.1 >= SUGGEST_AT || r.3)
            .take(MAX_SUGGESTIONS)
            .map(|r| self.entries[r.0 as usize].question.clone())
            .collect();
        if suggestions.is_empty() {
            Found::Nothing
        } else {
            Found::Unsure(suggestions)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faq(id: i64, group: Option<i64>, q: &str, a: &str, similar: &[&str]) -> FaqRow {
        FaqRow {
            id,
            robot_id: 1,
            faq_group: group,
            question: q.into(),
            answer: a.into(),
            similar: similar.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn sample() -> Index {
        Index::build(&[
            faq(
                1,
                Some(1),
                "如何退货",
                "在订单页点击申请退货。",
                &["我想退掉买的东西"],
            ),
            faq(
                2,
                Some(1),
                "退货运费谁承担",
                "质量问题由我们承担运费。",
                &[],
            ),
            faq(
                3,
                Some(2),
                "发票怎么开",
                "在订单详情页申请电子发票。",
                &["能开发票吗"],
            ),
            faq(
                4,
                None,
                "How do I reset my password?",
                "Use 'Forgot password' on the login page.",
                &["I forgot my password"],
            ),
            faq(
                5,
                None,
                "What are your opening hours?",
                "9:00-18:00, Monday to Friday.",
                &["When are you open"],
            ),
            faq(
                6,
                Some(2),
                "修改收货地址",
                "发货前可在订单页修改地址。",
                &["地址填错了"],
            ),
            faq(
                7,
                Some(2),
                "退款多久到账",
                "原路退回，1-3个工作日到账。",
                &[],
            ),
            faq(8, Some(2), "退款失败怎么办", "请联系人工客服处理。", &[]),
        ])
    }

    fn answer(i: &Index, q: &str, g: Option<i64>) -> Option<i64> {
        match i.search(q, g) {
            Found::Answer { faq_id, .. } => Some(faq_id),
            _ => None,
        }
    }

    #[test]
    fn chinese_questions_are_answered() {
        let i = sample();
        assert_eq!(answer(&i, "请问如何退货？", None), Some(1));
        assert_eq!(answer(&i, "发票怎么开", None), Some(3));
        assert_eq!(answer(&i, "我要修改收货地址", None), Some(6));
    }

    #[test]
    fn traditional_questions_match_simplified_entries() {
        let i = sample();
        assert_eq!(answer(&i, "發票怎麼開？", None), Some(3));
        assert_eq!(answer(&i, "如何修改收貨地址", None), Some(6));
    }

    #[test]
    fn english_questions_are_answered_with_stemming() {
        let i = sample();
        assert_eq!(answer(&i, "how can I reset the password", None), Some(4));
        assert_eq!(answer(&i, "Resetting passwords?", None), Some(4));
        assert_eq!(answer(&i, "opening hours", None), Some(5));
    }

    #[test]
    fn paraphrases_match_through_similar() {
        let i = sample();
        assert_eq!(answer(&i, "我想退掉买的东西", None), Some(1));
        assert_eq!(answer(&i, "地址填错了怎么办", None), Some(6));
        assert_eq!(answer(&i, "I forgot my password!", None), Some(4));
        assert_eq!(answer(&i, "when are you open?", None), Some(5));
    }

    #[test]
    fn ambiguous_questions_get_suggestions() {
        let i = sample();
        match i.search("退款", None) {
            Found::Unsure(s) => {
                assert!(s.contains(&"退款多久到账".to_string()), "{s:?}");
                assert!(s.contains(&"退款失败怎么办".to_string()), "{s:?}");
                assert!(s.len() <= MAX_SUGGESTIONS);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn words_no_entry_has_lower_the_confidence() {
        let i = sample();
        assert_eq!(answer(&i, "如何退货", None), Some(1));
        // Two words the FAQ does not know, each counted: a suggestion, not an answer.
        match i.search("退货 蓝色 大象", None) {
            Found::Unsure(s) => assert_eq!(s[0], "如何退货"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn gibberish_is_unknown() {
        let i = sample();
        assert_eq!(i.search("asdkjh qwpeoiru zxmcn", None), Found::Nothing);
        assert_eq!(i.search("飞机大炮", None), Found::Nothing);
        assert_eq!(i.search("？？？", None), Found::Nothing);
        assert_eq!(i.search("", None), Found::Nothing);
        assert_eq!(Index::build(&[]).search("如何退货", None), Found::Nothing);
    }

    #[test]
    fn faq_group_filters_entries() {
        let i = sample();
        assert_eq!(answer(&i, "如何退货", Some(1)), Some(1));
        assert_eq!(i.search("如何退货", Some(2)), Found::Nothing);
        assert_eq!(answer(&i, "发票怎么开", Some(2)), Some(3));
        assert_eq!(i.questions(Some(1), 5), vec!["如何退货", "退货运费谁承担"]);
        assert_eq!(i.questions(None, 2), vec!["如何退货", "退货运费谁承担"]);
    }
}
