//! User-visible strings for seed 003's `locale` values: `cn` (simplified Chinese, default),
//! `en` and `tw` (traditional Chinese). Static tables, no formatting at run time. The
//! launcher only links [`launcher_texts`], so the chat page's strings stay out of the host page.

use shared::config::Locale;

/// Every string the chat page shows or announces.
pub struct Texts {
    /// `lang` attribute of the chat page.
    pub lang: &'static str,
    /// Chat window header and document title.
    pub title: &'static str,
    pub collapse: &'static str,
    pub input_label: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    pub sending: &'static str,
    pub failed: &'static str,
    pub remove: &'static str,
    pub connecting: &'static str,
    pub online: &'static str,
    pub reconnecting: &'static str,
    pub offline: &'static str,
    /// Seed 003's refusal when the security check (`sign`) fails.
    pub refused: &'static str,
    /// Unknown or missing `sysnum`, or another configuration error.
    pub unavailable: &'static str,
    /// Shown while the agent is typing.
    pub agent_typing: &'static str,
    /// "You are number N in the queue", around the number.
    pub queue: (&'static str, &'static str),
    /// Shown while the conversation is still empty.
    pub greeting: &'static str,
    /// Name shown above agent messages that carry no nickname.
    pub agent: &'static str,
    pub you: &'static str,
}

pub static CN: Texts = Texts {
    lang: "zh-CN",
    title: "在线客服",
    collapse: "收起聊天窗口",
    input_label: "输入消息",
    placeholder: "请输入您想咨询的问题",
    send: "发送",
    sending: "发送中…",
    failed: "发送失败",
    remove: "删除",
    connecting: "正在连接…",
    online: "已连接",
    reconnecting: "连接已断开,正在重新连接…",
    offline: "网络不可用,恢复后自动重连",
    refused: "经验证当前用户为非法用户,不予接入客户服务中心",
    unavailable: "客服暂不可用,请检查接入配置",
    agent_typing: "客服正在输入…",
    queue: ("客服繁忙,正在排队,您是第 ", " 位"),
    greeting: "您好,请问有什么可以帮您?",
    agent: "客服",
    you: "我",
};

pub static EN: Texts = Texts {
    lang: "en",
    title: "Customer service",
    collapse: "Minimise chat",
    input_label: "Message",
    placeholder: "Type your question",
    send: "Send",
    sending: "Sending…",
    failed: "Not sent",
    remove: "Remove",
    connecting: "Connecting…",
    online: "Connected",
    reconnecting: "Connection lost, reconnecting…",
    offline: "You are offline; we will reconnect automatically",
    refused: "Verification failed: this user may not access the customer service center",
    unavailable: "Chat is unavailable: please check the integration settings",
    agent_typing: "The agent is typing…",
    queue: ("All agents are busy. You are number ", " in the queue"),
    greeting: "Hello! How can we help you?",
    agent: "Agent",
    you: "You",
};

pub static TW: Texts = Texts {
    lang: "zh-TW",
    title: "線上客服",
    collapse: "收起聊天視窗",
    input_label: "輸入訊息",
    placeholder: "請輸入您想諮詢的問題",
    send: "傳送",
    sending: "傳送中…",
    failed: "傳送失敗",
    remove: "刪除",
    connecting: "正在連線…",
    online: "已連線",
    reconnecting: "連線已中斷,正在重新連線…",
    offline: "網路無法使用,恢復後自動重新連線",
    refused: "經驗證當前用戶為非法用戶,不予接入客戶服務中心",
    unavailable: "客服暫不可用,請檢查接入設定",
    agent_typing: "客服正在輸入…",
    queue: ("客服繁忙,正在排隊,您是第 ", " 位"),
    greeting: "您好,請問有什麼可以幫您?",
    agent: "客服",
    you: "我",
};

pub fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::Cn => &CN,
        Locale::En => &EN,
        Locale::Tw => &TW,
    }
}

/// The launcher's two strings: the button's accessible name/tooltip and the iframe's `title`.
pub fn launcher_texts(locale: Locale) -> (&'static str, &'static str) {
    match locale {
        Locale::Cn => ("在线客服", "在线客服聊天窗口"),
        Locale::En => ("Customer service", "Customer service chat"),
        Locale::Tw => ("線上客服", "線上客服聊天視窗"),
    }
}
