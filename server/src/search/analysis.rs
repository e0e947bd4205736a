//! How texts become index terms, per language: our word tokenizer (gender forms folded), lower
//! case, the language's stop words, its Snowball stemmer, then accents folded (so "Qualität",
//! "qualitaet" is not promised, but "Qualitat" and "QUALITÄT" meet, and ß meets ss). Beside
//! the stemmed fields, every word also goes into trigrams, which find compounds by their parts
//! ("Begutachtung" by "Gutachten") and partial words.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, Stemmer, StopWordFilter,
    TextAnalyzer, Token, TokenStream, Tokenizer,
};
use tantivy::Index;

use super::words::WordTokenizer;

/// The languages whose texts Agora analyses; others are read as English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    De,
    Da,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Self::De, Self::Da, Self::En];

    pub fn code(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::Da => "da",
            Self::En => "en",
        }
    }

    /// The document's language from its code, or detected from the text when unset or unknown.
    pub fn of(code: Option<&str>, text: &str) -> Self {
        match code.map(|code| code.get(..2).unwrap_or(code).to_ascii_lowercase()) {
            Some(code) if code == "de" => Self::De,
            Some(code) if code == "da" || code == "nb" || code == "no" => Self::Da,
            Some(code) if code == "en" => Self::En,
            _ => Self::detect(text),
        }
    }

    fn detect(text: &str) -> Self {
        let sample: String = text.chars().take(2_000).collect();
        match whatlang::detect_lang(&sample) {
            Some(whatlang::Lang::Deu) => Self::De,
            Some(whatlang::Lang::Dan | whatlang::Lang::Nob) => Self::Da,
            _ => Self::En,
        }
    }

    fn snowball(self) -> Language {
        match self {
            Self::De => Language::German,
            Self::Da => Language::Danish,
            Self::En => Language::English,
        }
    }

    /// The name of this language's analyzer in the index.
    pub fn analyzer(self) -> &'static str {
        match self {
            Self::De => "agora_de",
            Self::Da => "agora_da",
            Self::En => "agora_en",
        }
    }
}

/// The name of the trigram analyzer in the index.
pub const TRIGRAMS: &str = "agora_trigrams";

/// Words longer than this are not words (pasted links, base64): they are left out.
const LONGEST_WORD: usize = 64;

/// Registers our analyzers with `index`.
pub fn register(index: &Index) {
    let tokenizers = index.tokenizers();
    for lang in Lang::ALL {
        tokenizers.register(lang.analyzer(), language_analyzer(lang));
    }
    tokenizers.register(TRIGRAMS, TextAnalyzer::from(Trigrams::default()));
}

pub fn language_analyzer(lang: Lang) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .dynamic();
    let builder = match StopWordFilter::new(lang.snowball()) {
        Some(stop_words) => builder.filter_dynamic(stop_words),
        None => builder,
    };
    builder
        .filter_dynamic(Stemmer::new(lang.snowball()))
        .filter_dynamic(AsciiFoldingFilter)
        .build()
}

/// Words folded like the stemmed fields (but not stemmed), cut into overlapping three-letter
/// pieces; words of one or two letters stay whole.
#[derive(Clone, Default)]
pub struct Trigrams {
    grams: Vec<Token>,
}

pub struct TrigramStream<'a> {
    grams: std::slice::Iter<'a, Token>,
    current: Token,
}

impl Tokenizer for Trigrams {
    type TokenStream<'a> = TrigramStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> TrigramStream<'a> {
        self.grams.clear();
        let mut words = TextAnalyzer::builder(WordTokenizer::default())
            .filter(RemoveLongFilter::limit(LONGEST_WORD))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build();
        let mut stream = words.token_stream(text);
        let mut position = 0;
        while stream.advance() {
            let word = stream.token();
            let chars: Vec<char> = word.text.chars().collect();
            let pieces = chars.len().saturating_sub(2).max(1);
            for start in 0..pieces {
                let end = (start + 3).min(chars.len());
                self.grams.push(Token {
                    offset_from: word.offset_from,
                    offset_to: word.offset_to,
                    position,
                    text: chars[start..end].iter().collect(),
                    position_length: 1,
                });
                position += 1;
            }
        }
        TrigramStream {
            grams: self.grams.iter(),
            current: Token::default(),
        }
    }
}

impl TokenStream for TrigramStream<'_> {
    fn advance(&mut self) -> bool {
        match self.grams.next() {
            Some(gram) => {
                self.current.clone_from(gram);
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

/// The terms `analyzer` makes of `text` (for queries built by hand, and for tests).
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut terms = Vec::new();
    while stream.advance() {
        terms.push(stream.token().text.clone());
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(lang: Lang, text: &str) -> Vec<String> {
        terms(&mut language_analyzer(lang), text)
    }

    #[test]
    fn word_forms_meet_in_one_stem() {
        for (lang, a, b) in [
            (Lang::De, "Kunden", "Kund*innen"),
            (Lang::De, "Kundenorientierung", "Kund*innenorientierung"),
            (Lang::De, "Mitarbeitern", "Mitarbeiter:innen"),
            (Lang::De, "Kollegen", "KollegInnen"),
            (Lang::De, "Straße", "STRASSE"),
            (Lang::De, "Häuser", "Haus"),
            (Lang::De, "Nachtschichten", "Nachtschicht"),
            (Lang::De, "Gutachtens", "Gutachten"),
            (Lang::Da, "plejefamilierne", "plejefamilie"),
            (Lang::Da, "borgeren", "borgere"),
            (Lang::Da, "tilsynet", "tilsyn"),
            (Lang::En, "agreements", "agreement"),
        ] {
            assert_eq!(stems(lang, a), stems(lang, b), "{a} / {b}");
        }
    }

    #[test]
    fn stop_words_are_left_out() {
        assert_eq!(stems(Lang::De, "die und der Nachtdienst"), ["nachtdien"]);
        assert_eq!(stems(Lang::Da, "og det er nattevagten"), ["nattevag"]);
    }

    #[test]
    fn trigrams_share_the_parts_of_compounds() {
        let grams = |text| terms(&mut TextAnalyzer::from(Trigrams::default()), text);
        assert_eq!(
            grams("Gutachten"),
            ["gut", "uta", "tac", "ach", "cht", "hte", "ten"]
        );
        assert_eq!(grams("Ærø og"), ["aer", "ero", "og"]);
        let begutachtung = grams("Begutachtung");
        assert!(["gut", "uta", "tac", "ach", "cht"]
            .iter()
            .all(|g| begutachtung.contains(&g.to_string())));
    }

    #[test]
    fn a_documents_language_is_its_own_or_detected() {
        assert_eq!(Lang::of(Some("de-DE"), ""), Lang::De);
        assert_eq!(Lang::of(Some("da"), ""), Lang::Da);
        assert_eq!(
            Lang::of(
                None,
                "Wir arbeiten mit den Menschen und nicht für sie, das ist unser Leitbild."
            ),
            Lang::De
        );
        assert_eq!(
            Lang::of(
                Some(""),
                "Vi arbejder sammen med borgerne og deres pårørende om hverdagen."
            ),
            Lang::Da
        );
        assert_eq!(
            Lang::of(Some("fr"), "We work with people, not for them."),
            Lang::En
        );
    }
}
