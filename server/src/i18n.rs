//! The user interface in German, Danish and English. Texts live in Fluent files under
//! `schema/locales/<language>/`, shared with the browser client; a page's language comes from
//! the account's setting, else the browser's `Accept-Language`, else the server's default.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{langid, LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "../schema/locales",
        fallback_language: "en",
        // Unicode isolation marks around arguments would show up in emails, titles and tests.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    De,
    Da,
    En,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Self::De, Self::Da, Self::En];

    pub fn code(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::Da => "da",
            Self::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|locale| code.eq_ignore_ascii_case(locale.code()))
    }

    fn language_id(self) -> LanguageIdentifier {
        match self {
            Self::De => langid!("de"),
            Self::Da => langid!("da"),
            Self::En => langid!("en"),
        }
    }

    /// The best of our languages for an `Accept-Language` header, by the browser's weights.
    pub fn negotiate(accept_language: &str) -> Option<Self> {
        let mut best: Option<(f32, Locale)> = None;
        for part in accept_language.split(',').take(32) {
            let mut fields = part.split(';');
            let tag = fields.next().unwrap_or("").trim();
            let weight = fields
                .find_map(|f| f.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            // Norwegian Bokmål readers understand Danish better than English.
            let locale = match primary.to_ascii_lowercase().as_str() {
                "nb" | "no" => Some(Self::Da),
                other => Self::from_code(other),
            };
            if let Some(locale) = locale {
                if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                    best = Some((weight, locale));
                }
            }
        }
        best.map(|(_, locale)| locale)
    }
}

/// The English texts, whose ids every language shares.
const ENGLISH: &str = include_str!("../../schema/locales/en/agora.ftl");

/// The id prefix of the browser client's texts.
const WEB_PREFIX: &str = "web-";

/// Translations for one page, in one language.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub locale: Locale,
}

impl Tr {
    pub fn new(locale: Locale) -> Self {
        Self { locale }
    }

    /// The text for `key`; a missing key shows as the key, never as an empty space.
    pub fn t(&self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.locale.language_id(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The text for `key` with one argument.
    pub fn t1(&self, key: &str, name: &'static str, value: &str) -> String {
        self.t_with(key, &[(name, value)])
    }

    /// The text for `key` with named arguments.
    pub fn t_with(&self, key: &str, values: &[(&'static str, &str)]) -> String {
        let args: HashMap<_, _> = values
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from(value.to_string())))
            .collect();
        LOCALES
            .try_lookup_with_args(&self.locale.language_id(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// Every text of the browser client (the messages whose id starts with `web-`), for the
    /// pages that load it. The ids are the same in every language (a test checks).
    pub fn web_strings(&self) -> BTreeMap<&'static str, String> {
        ENGLISH
            .lines()
            .filter_map(|line| line.split_once(" = "))
            .map(|(id, _)| id.trim())
            .filter(|id| id.starts_with(WEB_PREFIX))
            .map(|id| (id, self.t(id)))
            .collect()
    }

    /// Whether a key exists in the fallback language (for tests of the translation files).
    pub fn has(key: &str) -> bool {
        LOCALES.try_lookup(&langid!("en"), key).is_some()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    fn ids(locale: Locale) -> BTreeSet<String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../schema/locales")
            .join(locale.code())
            .join("agora.ftl");
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter_map(|line| line.split_once(" = ").map(|(id, _)| id.trim().to_owned()))
            .filter(|id| !id.starts_with('#') && !id.is_empty())
            .collect()
    }

    /// Message keys in every file under `dir`: string literals after one of `markers`, and
    /// literals that start with `error-` or `notice-`.
    fn keys_used(dir: &Path, markers: &[&str], found: &mut BTreeSet<String>) {
        let is_key =
            |key: &str| !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '-');
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                keys_used(&path, markers, found);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for marker in markers {
                for part in text.split(marker).skip(1) {
                    let key = part.split('"').next().unwrap_or("");
                    if is_key(key) {
                        found.insert(key.to_owned());
                    }
                }
            }
            for prefix in ["\"error-", "\"notice-"] {
                for part in text.split(prefix).skip(1) {
                    let rest = part.split('"').next().unwrap_or("");
                    let key = format!("{}{rest}", &prefix[1..]);
                    if is_key(rest) && !rest.is_empty() {
                        found.insert(key);
                    }
                }
            }
        }
    }

    /// The keys the browser client passes to its `t("web-…")`.
    fn web_keys_used(dir: &Path) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        keys_used(dir, &["t(\"web-"], &mut found);
        found
            .into_iter()
            .map(|rest| format!("web-{rest}"))
            .collect()
    }

    #[test]
    fn the_browser_client_gets_its_texts_in_every_language() {
        let english = Tr::new(Locale::En).web_strings();
        assert!(!english.is_empty());
        for locale in Locale::ALL {
            let strings = Tr::new(locale).web_strings();
            assert_eq!(
                strings.keys().collect::<Vec<_>>(),
                english.keys().collect::<Vec<_>>()
            );
            assert!(strings
                .iter()
                .all(|(id, text)| id != text && !text.is_empty()));
        }
    }

    #[test]
    fn every_language_has_every_text() {
        let english = ids(Locale::En);
        for locale in [Locale::De, Locale::Da] {
            assert_eq!(ids(locale), english, "{locale:?} differs from English");
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = BTreeSet::new();
        keys_used(
            &root.join("templates"),
            &["page.t(\"", "page.t1(\""],
            &mut used,
        );
        keys_used(
            &root.join("src"),
            &["Invalid(\"", ".t(\"", "t_with(\""],
            &mut used,
        );
        used.remove("no-such-text");
        let web_used = web_keys_used(&root.join("../client/web/src"));
        assert!(!web_used.is_empty(), "the browser client uses no texts?");
        used.extend(web_used);
        assert!(used.len() > 100, "the scan found only {} keys", used.len());
        let missing: Vec<_> = used.iter().filter(|key| !english.contains(*key)).collect();
        assert!(
            missing.is_empty(),
            "texts used but not translated: {missing:?}"
        );
    }

    #[test]
    fn accept_language_picks_the_best_of_ours() {
        assert_eq!(
            Locale::negotiate("de-DE,de;q=0.9,en;q=0.8"),
            Some(Locale::De)
        );
        assert_eq!(
            Locale::negotiate("fr;q=1.0, da;q=0.4, en;q=0.6"),
            Some(Locale::En)
        );
        assert_eq!(Locale::negotiate("nb-NO"), Some(Locale::Da));
        assert_eq!(Locale::negotiate("fr, it"), None);
        assert_eq!(Locale::negotiate("de;q=0"), None);
        assert_eq!(Locale::negotiate(&"x,".repeat(10_000)), None);
    }

    #[test]
    fn a_missing_text_shows_its_key() {
        assert_eq!(Tr::new(Locale::De).t("no-such-text"), "no-such-text");
        assert_eq!(
            Tr::new(Locale::En).t1("org-admins-own", "organisation", "Wohnverbund"),
            "The administrators of Wohnverbund can always manage this document."
        );
    }
}
