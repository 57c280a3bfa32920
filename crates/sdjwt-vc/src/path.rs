//! Claim paths: which claim of a JSON document a policy, a selection or a result refers to.

use serde_json::Value;

/// One step of a [`ClaimPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[expect(
    clippy::exhaustive_enums,
    reason = "complete: a JSON path step is a member name, an index, or every index (DCQL)"
)]
pub enum PathSegment {
    /// An object member by name.
    Key(String),
    /// An array element by zero-based index.
    Index(usize),
    /// Every element of an array (`null` in the OpenID4VP DCQL claims path pointer).
    AllArrayElements,
}

impl PathSegment {
    /// Whether this segment (from a pattern) matches `other` (a concrete segment).
    fn matches(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::AllArrayElements, Self::Index(_) | Self::AllArrayElements) => true,
            _ => self == other,
        }
    }
}

/// A path to a claim: a list of object member names and array indices from the top of the
/// payload, written like an OpenID4VP DCQL claims path pointer (`["address", "street_address"]`,
/// `["nationalities", 0]`, `["degrees", null, "type"]`).
///
/// ```
/// use sdjwt_vc::ClaimPath;
/// let path = ClaimPath::key("address").then_key("locality");
/// assert_eq!(path.to_string(), r#"["address","locality"]"#);
/// assert_eq!(ClaimPath::from_json(&serde_json::json!(["nationalities", null])),
///     Some(ClaimPath::key("nationalities").then_all()));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClaimPath(Vec<PathSegment>);

impl ClaimPath {
    /// The empty path (the payload itself).
    #[must_use]
    pub const fn root() -> Self {
        Self(Vec::new())
    }

    /// A one-segment path to a top-level claim.
    #[must_use]
    pub fn key(name: impl Into<String>) -> Self {
        Self(vec![PathSegment::Key(name.into())])
    }

    /// From segments.
    #[must_use]
    pub const fn from_segments(segments: Vec<PathSegment>) -> Self {
        Self(segments)
    }

    /// From the DCQL JSON form: an array of strings, non-negative integers and `null`.
    /// `None` for anything else.
    #[must_use]
    pub fn from_json(value: &Value) -> Option<Self> {
        let items = value.as_array()?;
        items
            .iter()
            .map(|item| match item {
                Value::String(name) => Some(PathSegment::Key(name.clone())),
                Value::Number(n) => n
                    .as_u64()
                    .and_then(|i| usize::try_from(i).ok())
                    .map(PathSegment::Index),
                Value::Null => Some(PathSegment::AllArrayElements),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(Self)
    }

    /// The DCQL JSON form.
    #[must_use]
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.0
                .iter()
                .map(|segment| match segment {
                    PathSegment::Key(name) => Value::String(name.clone()),
                    PathSegment::Index(i) => Value::from(*i),
                    PathSegment::AllArrayElements => Value::Null,
                })
                .collect(),
        )
    }

    /// This path extended by a member name.
    #[must_use]
    pub fn then_key(mut self, name: impl Into<String>) -> Self {
        self.0.push(PathSegment::Key(name.into()));
        self
    }

    /// This path extended by an array index.
    #[must_use]
    pub fn then_index(mut self, index: usize) -> Self {
        self.0.push(PathSegment::Index(index));
        self
    }

    /// This path extended by "every array element".
    #[must_use]
    pub fn then_all(mut self) -> Self {
        self.0.push(PathSegment::AllArrayElements);
        self
    }

    /// The segments.
    #[must_use]
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }

    /// The first segment's member name, if it is one (the top-level claim name).
    #[must_use]
    pub fn top_level_name(&self) -> Option<&str> {
        match self.0.first() {
            Some(PathSegment::Key(name)) => Some(name),
            _ => None,
        }
    }

    /// Whether this path, read as a pattern (`AllArrayElements` matching any index), equals
    /// `concrete`.
    #[must_use]
    pub fn matches(&self, concrete: &Self) -> bool {
        self.0.len() == concrete.0.len() && self.prefix_matches(concrete)
    }

    /// Whether this pattern matches the first `self.len()` segments of `concrete` (so
    /// `concrete` is this claim or lies beneath it).
    #[must_use]
    pub fn prefix_matches(&self, concrete: &Self) -> bool {
        self.0.len() <= concrete.0.len()
            && self.0.iter().zip(&concrete.0).all(|(p, c)| p.matches(c))
    }

    /// Whether `concrete` is a proper ancestor of some claim this pattern matches.
    #[must_use]
    pub fn is_below(&self, concrete: &Self) -> bool {
        concrete.0.len() < self.0.len() && concrete.0.iter().zip(&self.0).all(|(c, p)| p.matches(c))
    }

    pub(crate) fn push(&mut self, segment: PathSegment) {
        self.0.push(segment);
    }

    pub(crate) fn pop(&mut self) {
        self.0.pop();
    }

    pub(crate) fn pop_segment(&mut self) -> Option<PathSegment> {
        self.0.pop()
    }
}

impl core::fmt::Display for ClaimPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.to_json().to_string())
    }
}

impl serde::Serialize for ClaimPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for ClaimPath {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_json(&value).ok_or_else(|| {
            serde::de::Error::custom("a claim path is an array of strings, integers and null")
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn patterns_match_concrete_paths() {
        let pattern = ClaimPath::key("degrees").then_all().then_key("type");
        let concrete = ClaimPath::key("degrees").then_index(3).then_key("type");
        assert!(pattern.matches(&concrete));
        assert!(!pattern.matches(&ClaimPath::key("degrees").then_index(3)));
        assert!(pattern.is_below(&ClaimPath::key("degrees").then_index(3)));
        assert!(pattern.is_below(&ClaimPath::key("degrees")));
        assert!(!pattern.is_below(&concrete));
        assert!(ClaimPath::key("degrees").prefix_matches(&concrete));
        assert!(!ClaimPath::key("address").prefix_matches(&concrete));
    }

    #[test]
    fn json_form_round_trips_and_refuses_other_types() {
        let v = json!(["a", 0, null]);
        let path = ClaimPath::from_json(&v).unwrap();
        assert_eq!(path.to_json(), v);
        assert_eq!(ClaimPath::from_json(&json!(["a", -1])), None);
        assert_eq!(ClaimPath::from_json(&json!(["a", true])), None);
        assert_eq!(ClaimPath::from_json(&json!("a")), None);
    }
}
