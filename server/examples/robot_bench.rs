//! Benchmark of the FAQ robot (`cargo run --release -p frontdesk-server --example robot_bench`):
//! a 5 000-entry FAQ (Chinese and English questions with similar phrasings, made up from
//! word lists), the index build, then 2 000 questions (stored, traditional, paraphrased,
//! unknown) through `Index::search` and through `Robots::reply` on a SQLite file (which adds
//! the per-reply version query). Prints timings; asserts nothing.

use std::time::{Duration, Instant};

use frontdesk_server::db::{Db, FaqRow, NewFaq};
use frontdesk_server::robot::index::Index;
use frontdesk_server::robot::Robots;
use shared::config::Locale;

const ZH: &[&str] = &[
    "退货",
    "退款",
    "发票",
    "快递",
    "物流",
    "地址",
    "订单",
    "优惠券",
    "会员",
    "积分",
    "密码",
    "账号",
    "手机",
    "支付",
    "微信",
    "支付宝",
    "银行卡",
    "信用卡",
    "价格",
    "库存",
    "尺码",
    "颜色",
    "保修",
    "维修",
    "安装",
    "说明书",
    "客服",
    "电话",
    "营业",
    "时间",
    "门店",
    "配送",
    "运费",
    "包邮",
    "海外",
    "关税",
    "预售",
    "发货",
    "签收",
    "拒收",
    "换货",
    "质量",
    "破损",
    "赠品",
    "活动",
    "折扣",
    "秒杀",
    "拼团",
    "预约",
    "取消",
    "修改",
    "查询",
    "绑定",
    "解绑",
    "注销",
    "登录",
    "注册",
    "验证码",
    "短信",
    "邮箱",
    "实名",
    "认证",
    "企业",
    "批发",
    "合同",
];
const ZH_VERB: &[&str] = &[
    "如何",
    "怎么",
    "可以",
    "能否",
    "哪里",
    "什么时候",
    "为什么不能",
];
const EN: &[&str] = &[
    "return",
    "refund",
    "invoice",
    "shipping",
    "delivery",
    "address",
    "order",
    "coupon",
    "member",
    "points",
    "password",
    "account",
    "phone",
    "payment",
    "card",
    "price",
    "stock",
    "size",
    "colour",
    "warranty",
    "repair",
    "install",
    "manual",
    "store",
    "hours",
    "tax",
    "preorder",
    "parcel",
    "exchange",
    "damaged",
    "gift",
    "discount",
    "cancel",
    "change",
    "track",
    "login",
    "register",
    "email",
    "verify",
    "business",
    "wholesale",
    "contract",
];

/// A small deterministic generator (xorshift), so every run asks the same questions.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.next() % v.len()]
    }
}

fn zh_question(r: &mut Rng) -> String {
    format!(
        "{}{}{}{}",
        r.pick(ZH_VERB),
        r.pick(ZH),
        r.pick(ZH),
        r.pick(ZH)
    )
}

fn en_question(r: &mut Rng) -> String {
    format!("How do I {} my {} {}?", r.pick(EN), r.pick(EN), r.pick(EN))
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort_unstable();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn report(what: &str, mut t: Vec<Duration>) {
    let total: Duration = t.iter().sum();
    println!(
        "{what}: {} questions, mean {:?}, p50 {:?}, p99 {:?}, max {:?}",
        t.len(),
        total / t.len() as u32,
        percentile(&mut t, 0.5),
        percentile(&mut t, 0.99),
        percentile(&mut t, 1.0),
    );
}

#[tokio::main]
async fn main() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let faqs: Vec<NewFaq> = (0..5000)
        .map(|i| {
            let zh = i % 2 == 0;
            let q = if zh {
                zh_question(&mut r)
            } else {
                en_question(&mut r)
            };
            let similar = (0..2)
                .map(|_| {
                    if zh {
                        zh_question(&mut r)
                    } else {
                        en_question(&mut r)
                    }
                })
                .collect();
            NewFaq {
                faq_group: Some((i % 10) as i64 + 1),
                question: q,
                answer: format!("Answer {i}"),
                similar,
            }
        })
        .collect();
    let rows: Vec<FaqRow> = faqs
        .iter()
        .enumerate()
        .map(|(i, f)| FaqRow {
            id: i as i64 + 1,
            robot_id: 1,
            faq_group: f.faq_group,
            question: f.question.clone(),
            answer: f.answer.clone(),
            similar: f.similar.clone(),
        })
        .collect();

    let rss0 = rss_kib();
    let t = Instant::now();
    frontdesk_server::robot::text::terms("加载词典");
    let rss1 = rss_kib();
    println!(
        "jieba dictionary load: {:?}, RSS +{} KiB",
        t.elapsed(),
        rss1 - rss0
    );
    let t = Instant::now();
    let index = Index::build(&rows);
    println!(
        "index build, 5000 entries (15000 phrasings): {:?}, RSS +{} KiB",
        t.elapsed(),
        rss_kib() - rss1
    );

    let mut questions: Vec<String> = Vec::new();
    for i in 0..2000 {
        let f = &faqs[r.next() % faqs.len()];
        questions.push(match i % 5 {
            0 => f.question.clone(),
            1 => fast2s_free_traditional(&f.question),
            2 => f.similar[0].clone(),
            3 => format!("请问{}？", f.question),
            _ => {
                if i % 2 == 0 {
                    zh_question(&mut r)
                } else {
                    "qwxz plorf zzvb".into()
                }
            }
        });
    }
    let mut times = Vec::new();
    let mut answered = 0;
    for q in &questions {
        let t = Instant::now();
        let found = index.search(q, None);
        times.push(t.elapsed());
        if matches!(found, frontdesk_server::robot::index::Found::Answer { .. }) {
            answered += 1;
        }
    }
    println!("answered {answered} of {}", questions.len());
    report("Index::search", times);

    // Through the database: the version check and the cached index.
    let dir = std::env::temp_dir().join(format!("robot-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::open(&format!("sqlite://{}/b.db", dir.display()))
        .await
        .unwrap();
    let site = frontdesk_server::admin::create_site(&db, "bench")
        .await
        .unwrap();
    let sid = db.site_by_sysnum(&site.sysnum).await.unwrap().unwrap().id;
    let robot = db
        .create_robot(sid, Some(1), "bench", "")
        .await
        .unwrap()
        .unwrap();
    db.add_faqs(&robot, faqs).await.unwrap();
    let robots = Robots::new();
    let t = Instant::now();
    robots
        .reply(&db, sid, None, None, Locale::Cn, "如何退货")
        .await
        .unwrap();
    println!(
        "first reply (reads 5000 entries, builds the index): {:?}",
        t.elapsed()
    );
    let mut times = Vec::new();
    for q in &questions {
        let t = Instant::now();
        robots
            .reply(&db, sid, None, None, Locale::Cn, q)
            .await
            .unwrap();
        times.push(t.elapsed());
    }
    report("Robots::reply (SQLite, cached index)", times);
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// This process's resident set (Linux), KiB; 0 elsewhere.
fn rss_kib() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// A few traditional forms of the generated words, so some questions arrive in traditional.
fn fast2s_free_traditional(s: &str) -> String {
    s.replace("货", "貨")
        .replace("发", "發")
        .replace("递", "遞")
        .replace("单", "單")
        .replace("码", "碼")
        .replace("么", "麼")
}
