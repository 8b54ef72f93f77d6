//! User-visible strings for seed 003's `locale` values: `cn` (simplified Chinese, default),
//! `en` and `tw` (traditional Chinese). Static tables, no formatting at run time. The
//! launcher only links [`launcher_texts`], so the chat page's strings stay out of the host page.

use shared::config::Locale;

/// Every string the chat page shows or announces.
pub struct Texts {
    /// The locale these texts are for (order status names come from `shared::card`).
    pub locale: Locale,
    /// `lang` attribute of the chat page.
    pub lang: &'static str,
    /// Chat window header and document title.
    pub title: &'static str,
    pub collapse: &'static str,
    pub input_label: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    /// The emoji button (opens the lazily loaded picker).
    pub emoji: &'static str,
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
    /// The site blocked this visitor or their address: a polite refusal.
    pub blocked: &'static str,
    /// Shown while the agent is typing.
    pub agent_typing: &'static str,
    /// "You are number N in the queue", around the number.
    pub queue: (&'static str, &'static str),
    /// Shown while the conversation is still empty.
    pub greeting: &'static str,
    /// Name shown above agent messages that carry no nickname.
    pub agent: &'static str,
    pub you: &'static str,
    /// Alternative text of an image message.
    pub image: &'static str,
    /// Opens an image, a voice or a video message in a new tab.
    pub open: &'static str,
    /// The hint under a file's name.
    pub download: &'static str,
    /// Order card: its heading, the label before its number, the label before its total.
    pub order: &'static str,
    pub order_no: &'static str,
    pub total: &'static str,
    /// Order card: around the number of goods (one, many).
    pub items: (&'static str, &'static str, &'static str),
}

pub static CN: Texts = Texts {
    locale: Locale::Cn,
    lang: "zh-CN",
    title: "在线客服",
    collapse: "收起聊天窗口",
    input_label: "输入消息",
    placeholder: "请输入您想咨询的问题",
    send: "发送",
    emoji: "表情",
    sending: "发送中…",
    failed: "发送失败",
    remove: "删除",
    connecting: "正在连接…",
    online: "已连接",
    reconnecting: "连接已断开,正在重新连接…",
    offline: "网络不可用,恢复后自动重连",
    refused: "经验证当前用户为非法用户,不予接入客户服务中心",
    unavailable: "客服暂不可用,请检查接入配置",
    blocked: "抱歉,暂时无法为您提供在线咨询服务。",
    agent_typing: "客服正在输入…",
    queue: ("客服繁忙,正在排队,您是第 ", " 位"),
    greeting: "您好,请问有什么可以帮您?",
    agent: "客服",
    you: "我",
    image: "图片",
    open: "打开",
    download: "下载",
    order: "订单",
    order_no: "订单编号:",
    total: "合计:",
    items: ("共 ", " 件", " 件"),
};

pub static EN: Texts = Texts {
    locale: Locale::En,
    lang: "en",
    title: "Customer service",
    collapse: "Minimise chat",
    input_label: "Message",
    placeholder: "Type your question",
    send: "Send",
    emoji: "Emoji",
    sending: "Sending…",
    failed: "Not sent",
    remove: "Remove",
    connecting: "Connecting…",
    online: "Connected",
    reconnecting: "Connection lost, reconnecting…",
    offline: "You are offline; we will reconnect automatically",
    refused: "Verification failed: this user may not access the customer service center",
    unavailable: "Chat is unavailable: please check the integration settings",
    blocked: "Sorry, we cannot offer you a chat at the moment.",
    agent_typing: "The agent is typing…",
    queue: ("All agents are busy. You are number ", " in the queue"),
    greeting: "Hello! How can we help you?",
    agent: "Agent",
    you: "You",
    image: "Image",
    open: "Open",
    download: "Download",
    order: "Order",
    order_no: "Order no. ",
    total: "Total: ",
    items: ("", " item", " items"),
};

pub static TW: Texts = Texts {
    locale: Locale::Tw,
    lang: "zh-TW",
    title: "線上客服",
    collapse: "收起聊天視窗",
    input_label: "輸入訊息",
    placeholder: "請輸入您想諮詢的問題",
    send: "傳送",
    emoji: "表情符號",
    sending: "傳送中…",
    failed: "傳送失敗",
    remove: "刪除",
    connecting: "正在連線…",
    online: "已連線",
    reconnecting: "連線已中斷,正在重新連線…",
    offline: "網路無法使用,恢復後自動重新連線",
    refused: "經驗證當前用戶為非法用戶,不予接入客戶服務中心",
    unavailable: "客服暫不可用,請檢查接入設定",
    blocked: "抱歉,暫時無法為您提供線上諮詢服務。",
    agent_typing: "客服正在輸入…",
    queue: ("客服繁忙,正在排隊,您是第 ", " 位"),
    greeting: "您好,請問有什麼可以幫您?",
    agent: "客服",
    you: "我",
    image: "圖片",
    open: "打開",
    download: "下載",
    order: "訂單",
    order_no: "訂單編號:",
    total: "合計:",
    items: ("共 ", " 件", " 件"),
};

impl Texts {
    /// An order's number of goods: "共 2 件", "1 item", "2 items".
    pub fn items(&self, n: i64) -> String {
        let (before, one, many) = self.items;
        format!("{before}{n}{}", if n == 1 { one } else { many })
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_their_locale_and_count_items() {
        for l in [Locale::Cn, Locale::En, Locale::Tw] {
            assert_eq!(texts(l).locale, l);
        }
        assert_eq!(EN.items(1), "1 item");
        assert_eq!(EN.items(2), "2 items");
        assert_eq!(CN.items(2), "共 2 件");
        assert_eq!(TW.items(1), "共 1 件");
    }
}
