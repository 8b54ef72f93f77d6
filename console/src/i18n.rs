//! The console's language and time zone (issue 25 item 8), chosen per agent.
//!
//! Strings: the `console-…` keys of `shared/locales/{cn,en,tw}.ftl` — the widget's files —
//! compiled by `build.rs` (the widget's generator, `shared/locales/gen.rs`) into
//! [`ConsoleTexts`], one `static` per locale: nothing is parsed at run time. [`t`] is the
//! current table; a value with placeholders is an array of the pieces around them
//! ([`place`]).
//!
//! Choice: the agent's `me.locale`/`me.tz` (`31000`/`32000`, set with `32950`, stored on the
//! server so they follow the agent to another browser), else the browser's
//! (`navigator.language`, `Intl.DateTimeFormat().resolvedOptions().timeZone`). [`apply`]
//! sets both signals (and `<html lang>`); the app re-renders its view when they change.
//!
//! Times: [`when`] formats a moment with `Intl.DateTimeFormat` in the agent's zone and
//! language: today's as the time only, older ones with the date.

include!(concat!(env!("OUT_DIR"), "/texts.rs"));

use std::cell::RefCell;

use js_sys::{Array, Function, Object, Reflect};
use leptos::prelude::*;
use shared::config::Locale;
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    // Reference-counted, not arena signals: the first read may happen inside a view that is
    // later rendered again, and an arena signal would be disposed with that view's owner.
    static LOCALE: ArcRwSignal<Locale> = ArcRwSignal::new(browser_locale());
    static TZ: ArcRwSignal<String> = ArcRwSignal::new(browser_tz());
    /// `(locale, tz, [time, date + time, day])`: the formatters of the current choice.
    static FORMATS: RefCell<Option<(Locale, String, [JsValue; 3])>> = const { RefCell::new(None) };
}

/// The console's language now (a signal: reading it in a closure follows changes).
pub fn locale() -> ArcRwSignal<Locale> {
    LOCALE.with(Clone::clone)
}

/// The agent's time zone now (an IANA name).
pub fn tz() -> ArcRwSignal<String> {
    TZ.with(Clone::clone)
}

/// The strings of the current language (read untracked: the view re-renders on a change).
pub fn t() -> &'static ConsoleTexts {
    console(locale().get_untracked())
}

/// The strings of the current language, read tracked (for the parts of the view that are
/// not rendered again on a change: the login form).
pub fn tracked() -> &'static ConsoleTexts {
    console(locale().get())
}

/// `pieces` with `value` between the first two (a one-placeholder string).
pub fn place(pieces: &[&str; 2], value: &str) -> String {
    let mut s = String::from(pieces[0]);
    s.push_str(value);
    s.push_str(pieces[1]);
    s
}

/// `pieces` with `a` and `b` in the two gaps (a two-placeholder string).
pub fn place2(pieces: &[&str; 3], a: &str, b: &str) -> String {
    [pieces[0], a, pieces[1], b, pieces[2]].concat()
}

/// The BCP 47 tag of `l` for `<html lang>` and `Intl`.
pub fn tag(l: Locale) -> &'static str {
    match l {
        Locale::Cn => "zh-CN",
        Locale::En => "en",
        Locale::Tw => "zh-TW",
    }
}

/// The browser's language as one of ours: zh-TW/zh-HK/zh-MO/zh-Hant → `tw`, other zh → `cn`,
/// anything else → `en`.
pub fn browser_locale() -> Locale {
    let lang = web_sys::window()
        .map(|w| w.navigator().language().unwrap_or_default())
        .unwrap_or_default()
        .to_ascii_lowercase();
    from_tag(&lang)
}

fn from_tag(lang: &str) -> Locale {
    if !(lang == "zh" || lang.starts_with("zh-") || lang.starts_with("zh_")) {
        Locale::En
    } else if ["tw", "hk", "mo", "hant"]
        .iter()
        .any(|p| lang.split(['-', '_']).skip(1).any(|x| x == *p))
    {
        Locale::Tw
    } else {
        Locale::Cn
    }
}

fn intl_dtf() -> Option<Function> {
    let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    Reflect::get(&intl, &"DateTimeFormat".into())
        .ok()?
        .dyn_into()
        .ok()
}

/// `new Intl.DateTimeFormat(tag, options)`, `None` when it throws (an unknown zone).
fn formatter(tag: &str, options: &[(&str, &str)]) -> Option<JsValue> {
    let o = Object::new();
    for (k, v) in options {
        let _ = Reflect::set(&o, &(*k).into(), &(*v).into());
    }
    let args = Array::of2(&tag.into(), &o);
    Reflect::construct(&intl_dtf()?, &args).ok()
}

/// The browser's time zone (`UTC` when it names none).
pub fn browser_tz() -> String {
    formatter("en", &[])
        .and_then(|f| {
            let ro = Reflect::get(&f, &"resolvedOptions".into()).ok()?;
            let o = ro.dyn_into::<Function>().ok()?.call0(&f).ok()?;
            Reflect::get(&o, &"timeZone".into()).ok()?.as_string()
        })
        .filter(|z| !z.is_empty())
        .unwrap_or_else(|| "UTC".to_owned())
}

/// Whether this browser knows zone `tz`.
pub fn known_zone(tz: &str) -> bool {
    !tz.is_empty() && formatter("en", &[("timeZone", tz)]).is_some()
}

/// The IANA zones this browser knows (`Intl.supportedValuesOf('timeZone')`), for the
/// settings' list; `UTC` first.
pub fn zones() -> Vec<String> {
    let mut out = vec!["UTC".to_owned()];
    let list = Reflect::get(&js_sys::global(), &"Intl".into())
        .ok()
        .and_then(|intl| {
            let f: Function = Reflect::get(&intl, &"supportedValuesOf".into())
                .ok()?
                .dyn_into()
                .ok()?;
            f.call1(&intl, &"timeZone".into()).ok()
        });
    if let Some(list) = list.and_then(|l| l.dyn_into::<Array>().ok()) {
        out.extend(
            list.iter()
                .filter_map(|z| z.as_string())
                .filter(|z| z != "UTC"),
        );
    }
    out
}

/// Applies the agent's choice (`""`: the browser's): language, zone and `<html lang>`. A
/// zone this browser does not know falls back to the browser's.
pub fn apply(l: &str, zone: &str) {
    let l = Locale::parse(l).unwrap_or_else(browser_locale);
    let zone = if known_zone(zone) {
        zone.to_owned()
    } else {
        browser_tz()
    };
    if locale().get_untracked() != l {
        locale().set(l);
    }
    if tz().get_untracked() != zone {
        tz().set(zone);
    }
    set_html_lang();
}

/// `<html lang>` follows the console's language.
pub fn set_html_lang() {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = el.set_attribute("lang", tag(locale().get_untracked()));
    }
}

fn format_with(f: &JsValue, ms: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    Reflect::get(f, &"format".into())
        .ok()
        .and_then(|g| g.dyn_into::<Function>().ok())
        .and_then(|g| g.call1(f, &date).ok())
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// Moment `ms` (ms since the epoch) in the agent's zone and language: the time only when it
/// is today there, else the date and time. Tracks the language and zone.
pub fn when(ms: i64) -> String {
    let (l, zone) = (locale().get(), tz().get());
    FORMATS.with(|cell| {
        let mut cell = cell.borrow_mut();
        if !matches!(&*cell, Some((cl, cz, _)) if *cl == l && *cz == zone) {
            let time: &[(&str, &str)] = &[
                ("timeZone", &zone),
                ("hour", "2-digit"),
                ("minute", "2-digit"),
                ("hourCycle", "h23"),
            ];
            let full: &[(&str, &str)] = &[
                ("timeZone", &zone),
                ("year", "numeric"),
                ("month", "2-digit"),
                ("day", "2-digit"),
                ("hour", "2-digit"),
                ("minute", "2-digit"),
                ("hourCycle", "h23"),
            ];
            let day: &[(&str, &str)] = &[
                ("timeZone", &zone),
                ("year", "numeric"),
                ("month", "2-digit"),
                ("day", "2-digit"),
            ];
            let tag = tag(l);
            let (Some(a), Some(b), Some(c)) = (
                formatter(tag, time),
                formatter(tag, full),
                formatter(tag, day),
            ) else {
                return String::new();
            };
            *cell = Some((l, zone.clone(), [a, b, c]));
        }
        let Some((_, _, [time, full, day])) = &*cell else {
            return String::new();
        };
        let ms = ms as f64;
        if format_with(day, ms) == format_with(day, js_sys::Date::now()) {
            format_with(time, ms)
        } else {
            format_with(full, ms)
        }
    })
}

/// A `<time>` element showing [`when`] (`datetime`: the moment in UTC, for tests and tools).
pub fn time_view(ms: i64) -> impl IntoView {
    let iso = js_sys::Date::new(&JsValue::from_f64(ms as f64))
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    view! {
        <time class="c-time" datetime=iso data-testid="fd-c-time">{move || when(ms)}</time>
    }
}
