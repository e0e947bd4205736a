//! The ways a search is narrowed: by kind, quality area, team, author and year. Each is a
//! facet of the index (`/team/Nachtdienst`); a document may carry several values of one (the
//! teams it is shared with) or none (statements have no quality area).

use tantivy::schema::Facet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FacetName {
    Kind,
    Area,
    Team,
    Author,
    Year,
}

impl FacetName {
    /// In the order the search page lists them.
    pub const ALL: [FacetName; 5] = [
        FacetName::Kind,
        FacetName::Area,
        FacetName::Team,
        FacetName::Author,
        FacetName::Year,
    ];

    /// Its name in the index, in query strings and in the JSON API.
    pub fn name(self) -> &'static str {
        match self {
            FacetName::Kind => "kind",
            FacetName::Area => "area",
            FacetName::Team => "team",
            FacetName::Author => "author",
            FacetName::Year => "year",
        }
    }

    /// The index facet for one of its values.
    pub fn facet(self, value: &str) -> Facet {
        Facet::from_path([self.name(), value])
    }

    /// The index facet all its values sit under (`/team`).
    pub fn root(self) -> Facet {
        Facet::from_path([self.name()])
    }
}

/// One facet value a document carries.
pub type Label = (FacetName, String);

/// The values a search must match, one per facet at most.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    chosen: Vec<Label>,
}

impl Filters {
    /// Empty values choose nothing (a form's "all" option sends them).
    pub fn new(chosen: impl IntoIterator<Item = (FacetName, Option<String>)>) -> Self {
        let mut filters = Self::default();
        for (name, value) in chosen {
            filters = filters.with(name, value);
        }
        filters
    }

    pub fn get(&self, name: FacetName) -> Option<&str> {
        self.chosen
            .iter()
            .find(|(chosen, _)| *chosen == name)
            .map(|(_, value)| value.as_str())
    }

    /// These filters with `name` set to `value` (or dropped for `None`).
    pub fn with(&self, name: FacetName, value: Option<String>) -> Self {
        let mut chosen: Vec<Label> = self
            .chosen
            .iter()
            .filter(|(other, _)| *other != name)
            .cloned()
            .collect();
        if let Some(value) = value.filter(|value| !value.trim().is_empty()) {
            chosen.push((name, value));
        }
        chosen.sort_by_key(|(name, _)| FacetName::ALL.iter().position(|n| n == name));
        Self { chosen }
    }

    pub fn iter(&self) -> impl Iterator<Item = (FacetName, &str)> {
        self.chosen
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
    }
}

/// How many matching sections carry one facet value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FacetCount {
    pub facet: FacetName,
    pub value: String,
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_with_a_slash_stays_one_value() {
        let facet = FacetName::Team.facet("Nacht/Wochenende");
        assert_eq!(facet.to_path(), vec!["team", "Nacht/Wochenende"]);
        assert!(FacetName::Team.root().is_prefix_of(&facet));
    }

    #[test]
    fn filters_keep_one_value_per_facet_and_drop_empty_ones() {
        let filters = Filters::new([
            (FacetName::Year, Some("2026".to_owned())),
            (FacetName::Team, Some("Nachtdienst".to_owned())),
            (FacetName::Author, Some("  ".to_owned())),
        ]);
        let chosen: Vec<_> = filters.iter().collect();
        assert_eq!(
            chosen,
            [(FacetName::Team, "Nachtdienst"), (FacetName::Year, "2026")]
        );
        let changed = filters.with(FacetName::Team, Some("Tagdienst".to_owned()));
        assert_eq!(changed.get(FacetName::Team), Some("Tagdienst"));
        assert_eq!(
            changed.with(FacetName::Team, None).get(FacetName::Team),
            None
        );
    }
}
