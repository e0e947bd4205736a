//! Words for the search index: runs of letters and digits, where gender forms are one word and
//! read as the plural or singular they stand for ("Kund*innen", "Kund:innen", "Kund_innen",
//! "Kund/innen" and "KundInnen" as "Kunden"; "Kund*in" as "Kunde"), so that "Kunden" finds
//! them and "Kund*innenorientierung" is "Kundenorientierung". Offsets stay those of the
//! original text, so snippets highlight what was written.

use std::str::CharIndices;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

#[derive(Clone, Default)]
pub struct WordTokenizer {
    token: Token,
}

pub struct WordStream<'a> {
    text: &'a str,
    chars: std::iter::Peekable<CharIndices<'a>>,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        self.token.reset();
        WordStream {
            text,
            chars: text.char_indices().peekable(),
            token: &mut self.token,
        }
    }
}

/// The marks people write between a word and its feminine ending.
const GENDER_MARKS: [char; 4] = ['*', ':', '_', '/'];

impl WordStream<'_> {
    /// The end of the word that starts at `start`, joined across gender marks.
    fn word_end(&mut self, start: usize) -> usize {
        let mut end = start;
        while let Some(&(offset, c)) = self.chars.peek() {
            if c.is_alphanumeric() {
                end = offset + c.len_utf8();
                self.chars.next();
            } else if GENDER_MARKS.contains(&c)
                && self.text[start..offset]
                    .chars()
                    .last()
                    .is_some_and(char::is_alphabetic)
                && self.text[offset + 1..].starts_with("in")
            {
                end = offset + 1;
                self.chars.next();
            } else {
                break;
            }
        }
        end
    }
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        while let Some((start, c)) = self.chars.next() {
            if c.is_alphanumeric() {
                let end = self
                    .word_end(start + c.len_utf8())
                    .max(start + c.len_utf8());
                self.token.offset_from = start;
                self.token.offset_to = end;
                self.token
                    .text
                    .push_str(&without_gender_ending(&self.text[start..end]));
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// "Kund*innen" → "Kunden", "KundIn" → "Kunde", "Mitarbeiter:innenbefragung" →
/// "Mitarbeiterenbefragung" (the stemmer and the n-grams take it from there).
pub fn without_gender_ending(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut rest = word;
    while !rest.is_empty() {
        let after_mark = rest
            .strip_prefix(|c| GENDER_MARKS.contains(&c))
            .filter(|_| !out.is_empty());
        let after_capital = rest
            .strip_prefix('I')
            .filter(|_| out.chars().last().is_some_and(char::is_lowercase));
        let ending = after_mark
            .map(|after| (after, false))
            .or(after_capital.map(|after| (after, true)));
        if let Some((after, capital)) = ending {
            let word_ends = |tail: &str| !tail.starts_with(char::is_alphabetic);
            if let Some(tail) = after.strip_prefix("nnen").filter(|_| capital) {
                out.push_str("en");
                rest = tail;
                continue;
            }
            if let Some(tail) = after.strip_prefix("innen").filter(|_| !capital) {
                out.push_str("en");
                rest = tail;
                continue;
            }
            if let Some(tail) = after
                .strip_prefix('n')
                .filter(|tail| capital && word_ends(tail))
            {
                out.push('e');
                rest = tail;
                continue;
            }
            if let Some(tail) = after
                .strip_prefix("in")
                .filter(|tail| !capital && word_ends(tail))
            {
                out.push('e');
                rest = tail;
                continue;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            // A mark that is not a gender ending is not part of the word.
            if !GENDER_MARKS.contains(&c) {
                out.push(c);
            }
        }
        rest = chars.as_str();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(String, &str)> {
        let mut tokenizer = WordTokenizer::default();
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let token = stream.token();
            out.push((
                token.text.clone(),
                &text[token.offset_from..token.offset_to],
            ));
        }
        out
    }

    #[test]
    fn gender_forms_read_as_the_plural_or_singular() {
        for (written, read) in [
            ("Kund*innen", "Kunden"),
            ("Kund:innen", "Kunden"),
            ("Kund_innen", "Kunden"),
            ("Kund/innen", "Kunden"),
            ("KundInnen", "Kunden"),
            ("Kund*in", "Kunde"),
            ("KundIn", "Kunde"),
            ("Kolleg*innen", "Kollegen"),
            ("Kund*innenorientierung", "Kundenorientierung"),
            ("Mitarbeiter:innen", "Mitarbeiteren"),
            ("Innenhof", "Innenhof"),
            ("Termin", "Termin"),
            ("Bewohnerinnen", "Bewohnerinnen"),
        ] {
            assert_eq!(
                words(written),
                vec![(read.to_owned(), written)],
                "{written}"
            );
        }
    }

    #[test]
    fn other_marks_still_separate_words() {
        let found: Vec<String> = words("und/oder: Ziel*, 2026_Bericht a:b Innen-Dienst")
            .into_iter()
            .map(|(word, _)| word)
            .collect();
        assert_eq!(
            found,
            ["und", "oder", "Ziel", "2026", "Bericht", "a", "b", "Innen", "Dienst"]
        );
    }

    #[test]
    fn offsets_are_those_of_the_written_text() {
        let text = "Für alle Kund*innen – Ærø, straße";
        let found = words(text);
        assert_eq!(found[2], ("Kunden".to_owned(), "Kund*innen"));
        assert_eq!(found[3], ("Ærø".to_owned(), "Ærø"));
        assert_eq!(found[4], ("straße".to_owned(), "straße"));
    }
}
