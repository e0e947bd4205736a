//! What a page needs to load the browser editor: the document, the visitor's role, name and
//! presence colour, the client's texts in the visitor's language, and the client's files.
//! The client reads all of it from the page (see `templates/editor.html`).

use agora_schema::DocumentId;
use sha2::{Digest, Sha256};

use crate::directory::{Account, AccountId, DocRole};
use crate::i18n::Tr;
use crate::web_client;

/// How the editor shows the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The everyday page, with the site's navigation.
    Page,
    /// For a projector in a meeting: large type, who is here, little else.
    Meeting,
}

impl View {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Meeting => "meeting",
        }
    }
}

pub struct Editor {
    pub document_url: String,
    pub role: &'static str,
    pub view: &'static str,
    pub account: AccountId,
    pub name: String,
    pub colour: &'static str,
    pub script: String,
    pub styles: Vec<String>,
    /// The client's texts as JSON, safe inside a `<script type="application/json">`.
    pub strings: String,
}

impl Editor {
    pub fn new(id: DocumentId, role: DocRole, view: View, account: &Account, tr: Tr) -> Self {
        Self {
            document_url: format!("automerge:{id}"),
            role: role.as_str(),
            view: view.as_str(),
            account: account.account_id,
            name: account.display_name.clone(),
            colour: presence_colour(account.account_id),
            script: web_client::script_url(),
            styles: web_client::style_urls(),
            strings: json_in_script(&tr.web_strings()),
        }
    }
}

/// Colours for people's carets and names: dark enough for white labels (contrast ≥ 4.5:1)
/// and told apart by hue. Names are always shown beside them, never colour alone.
const PRESENCE_COLOURS: [&str; 8] = [
    "#b42318", "#1d4ed8", "#047857", "#7e22ce", "#b45309", "#0e7490", "#be185d", "#4d7c0f",
];

/// The same colour for an account on every page and every device.
pub fn presence_colour(account: AccountId) -> &'static str {
    let digest = Sha256::digest(account.0.to_le_bytes());
    PRESENCE_COLOURS[usize::from(digest[0]) % PRESENCE_COLOURS.len()]
}

/// JSON that cannot end its `<script>` element or start markup inside it.
fn json_in_script(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "{}".to_owned())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_a_script_cannot_close_it() {
        let hostile =
            std::collections::BTreeMap::from([("k", "</script><script>alert(1)</script>&")]);
        let json = json_in_script(&hostile);
        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'));
        let back: std::collections::BTreeMap<String, String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back["k"], hostile["k"]);
    }

    #[test]
    fn every_colour_carries_white_text() {
        for colour in PRESENCE_COLOURS {
            let channel = |at: usize| {
                let value = f64::from(u8::from_str_radix(&colour[at..at + 2], 16).unwrap()) / 255.0;
                if value <= 0.04045 {
                    value / 12.92
                } else {
                    ((value + 0.055) / 1.055).powf(2.4)
                }
            };
            let luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
            let contrast = 1.05 / (luminance + 0.05);
            assert!(contrast >= 4.5, "{colour}: {contrast:.2}");
        }
    }
}
