//! The engine's grant types as JSON rows, and back. The engine's types carry no serde
//! derives (the engine stays free of a storage format), so the mapping is written out here.

use jose_core::UnixTime;
use oid4vci_issuer::{
    AccessGrant, GrantId, IssuedCode, PreAuthGrant, PushedRequest, RefreshGrant, StoreError,
    SubjectClaims,
};
use serde_json::{Map, Value, json};

use crate::shared::corrupt;

fn strings(v: &[String]) -> Value {
    Value::Array(v.iter().cloned().map(Value::String).collect())
}

/// Puts a grant's subject claims into its row. When no configuration has claims of its own,
/// the common claims go under `claims`, as every earlier version of this codec wrote them.
/// Otherwise all of them go under `subject_claims` (`{common, by_configuration}`) and there is
/// no `claims`: a node still running an earlier version (a rolling upgrade) then finds the row
/// corrupt and refuses the grant, rather than issue the common claims in a credential whose
/// configuration has its own.
fn with_claims(mut row: Value, claims: &SubjectClaims) -> Value {
    if let Value::Object(fields) = &mut row {
        if claims.by_configuration().is_empty() {
            fields.insert("claims".into(), Value::Object(claims.common().clone()));
        } else {
            let own: Map<String, Value> = claims
                .by_configuration()
                .iter()
                .map(|(id, own)| (id.clone(), Value::Object(own.clone())))
                .collect();
            fields.insert(
                "subject_claims".into(),
                json!({"common": claims.common(), "by_configuration": own}),
            );
        }
    }
    row
}

fn pairs(v: &[(String, String)]) -> Value {
    Value::Array(v.iter().map(|(a, b)| json!([a, b])).collect::<Vec<Value>>())
}

/// A decoder over one stored JSON object; every miss is [`corrupt`].
struct Row<'a> {
    what: &'static str,
    obj: &'a Map<String, Value>,
}

impl<'a> Row<'a> {
    fn new(what: &'static str, value: &'a Value) -> Result<Self, StoreError> {
        value
            .as_object()
            .map(|obj| Self { what, obj })
            .ok_or_else(|| corrupt(what))
    }

    fn field(&self, name: &str) -> Result<&'a Value, StoreError> {
        self.obj.get(name).ok_or_else(|| corrupt(self.what))
    }

    fn string(&self, name: &str) -> Result<String, StoreError> {
        self.field(name)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| corrupt(self.what))
    }

    fn opt_string(&self, name: &str) -> Result<Option<String>, StoreError> {
        match self.obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(corrupt(self.what)),
        }
    }

    fn bool(&self, name: &str) -> Result<bool, StoreError> {
        self.field(name)?
            .as_bool()
            .ok_or_else(|| corrupt(self.what))
    }

    fn time(&self, name: &str) -> Result<UnixTime, StoreError> {
        self.field(name)?
            .as_i64()
            .map(UnixTime::from_secs)
            .ok_or_else(|| corrupt(self.what))
    }

    fn strings(&self, name: &str) -> Result<Vec<String>, StoreError> {
        self.field(name)?
            .as_array()
            .ok_or_else(|| corrupt(self.what))?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| corrupt(self.what))
            })
            .collect()
    }

    fn pairs(&self, name: &str) -> Result<Vec<(String, String)>, StoreError> {
        self.field(name)?
            .as_array()
            .ok_or_else(|| corrupt(self.what))?
            .iter()
            .map(|v| match v.as_array().map(Vec::as_slice) {
                Some([Value::String(a), Value::String(b)]) => Ok((a.clone(), b.clone())),
                _ => Err(corrupt(self.what)),
            })
            .collect()
    }

    fn object(&self, value: &Value) -> Result<Map<String, Value>, StoreError> {
        value.as_object().cloned().ok_or_else(|| corrupt(self.what))
    }

    /// The subject claims, as [`with_claims`] writes them.
    fn claims(&self) -> Result<SubjectClaims, StoreError> {
        let Some(both) = self.obj.get("subject_claims") else {
            return Ok(SubjectClaims::new(self.object(self.field("claims")?)?));
        };
        let both = Row::new(self.what, both)?;
        let mut claims = SubjectClaims::new(both.object(both.field("common")?)?);
        let own = both
            .field("by_configuration")?
            .as_object()
            .ok_or_else(|| corrupt(self.what))?;
        for (id, value) in own {
            claims = claims.with_configuration(id.clone(), self.object(value)?);
        }
        Ok(claims)
    }
}

/// Parses a stored JSON text.
pub(crate) fn parse(what: &'static str, text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|_| corrupt(what))
}

/// Parses a stored JSON array of strings.
pub(crate) fn parse_strings(what: &'static str, text: &str) -> Result<Vec<String>, StoreError> {
    let value = parse(what, text)?;
    value
        .as_array()
        .ok_or_else(|| corrupt(what))?
        .iter()
        .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| corrupt(what)))
        .collect()
}

/// A JSON array of strings, as text.
pub(crate) fn strings_text(v: &[String]) -> String {
    strings(v).to_string()
}

pub(crate) fn pre_auth_to_json(g: &PreAuthGrant) -> String {
    with_claims(
        json!({
            "configuration_ids": strings(&g.configuration_ids),
            "tx_code": g.tx_code,
            "expires_at": g.expires_at.secs(),
        }),
        &g.claims,
    )
    .to_string()
}

pub(crate) fn pre_auth_from_json(text: &str) -> Result<PreAuthGrant, StoreError> {
    const WHAT: &str = "pre-authorized grant";
    let value = parse(WHAT, text)?;
    let r = Row::new(WHAT, &value)?;
    Ok(PreAuthGrant::new(
        r.strings("configuration_ids")?,
        r.claims()?,
        r.opt_string("tx_code")?,
        r.time("expires_at")?,
    ))
}

pub(crate) fn access_to_json(g: &AccessGrant) -> String {
    with_claims(
        json!({
            "grant": g.grant.as_str(),
            "configuration_ids": strings(&g.configuration_ids),
            "credential_identifiers": pairs(&g.credential_identifiers),
            "audience": g.audience,
            "client_id": g.client_id,
            "dpop_jkt": g.dpop_jkt,
            "expires_at": g.expires_at.secs(),
        }),
        &g.claims,
    )
    .to_string()
}

pub(crate) fn access_from_json(text: &str) -> Result<AccessGrant, StoreError> {
    const WHAT: &str = "access grant";
    let value = parse(WHAT, text)?;
    let r = Row::new(WHAT, &value)?;
    let mut g = AccessGrant::new(
        GrantId::new(r.string("grant")?),
        r.strings("configuration_ids")?,
        r.claims()?,
        r.string("audience")?,
        r.time("expires_at")?,
    );
    g.credential_identifiers = r.pairs("credential_identifiers")?;
    g.client_id = r.opt_string("client_id")?;
    g.dpop_jkt = r.opt_string("dpop_jkt")?;
    Ok(g)
}

/// The stored `json` of `grant` once bound to the DPoP key `jkt`
/// ([`RefreshGrant::bind_dpop`]): encoded again only when the binding changed it.
pub(crate) fn refresh_bound(json: String, grant: &mut RefreshGrant, jkt: Option<&str>) -> String {
    if grant.bind_dpop(jkt) {
        refresh_to_json(grant)
    } else {
        json
    }
}

pub(crate) fn refresh_to_json(g: &RefreshGrant) -> String {
    with_claims(
        json!({
            "grant": g.grant.as_str(),
            "configuration_ids": strings(&g.configuration_ids),
            "credential_identifiers": pairs(&g.credential_identifiers),
            "client_id": g.client_id,
            "instance_key": g.instance_key,
            "dpop_jkt": g.dpop_jkt,
            "expires_at": g.expires_at.secs(),
        }),
        &g.claims,
    )
    .to_string()
}

pub(crate) fn refresh_from_json(text: &str) -> Result<RefreshGrant, StoreError> {
    const WHAT: &str = "refresh grant";
    let value = parse(WHAT, text)?;
    let r = Row::new(WHAT, &value)?;
    let mut g = RefreshGrant::new(
        GrantId::new(r.string("grant")?),
        r.strings("configuration_ids")?,
        r.claims()?,
        r.time("expires_at")?,
    );
    g.credential_identifiers = r.pairs("credential_identifiers")?;
    g.client_id = r.opt_string("client_id")?;
    g.instance_key = r.opt_string("instance_key")?;
    g.dpop_jkt = r.opt_string("dpop_jkt")?;
    Ok(g)
}

fn pushed_value(p: &PushedRequest) -> Value {
    json!({
        "client_id": p.client_id,
        "redirect_uri": p.redirect_uri,
        "state": p.state,
        "code_challenge": p.code_challenge,
        "configuration_ids": strings(&p.configuration_ids),
        "by_authorization_details": p.by_authorization_details,
        "issuer_state": p.issuer_state,
        "dpop_jkt": p.dpop_jkt,
        "instance_key": p.instance_key,
        "granted_scope": p.granted_scope,
        "expires_at": p.expires_at.secs(),
    })
}

fn pushed_from_value(value: &Value) -> Result<PushedRequest, StoreError> {
    let r = Row::new("pushed request", value)?;
    let mut p = PushedRequest::new(
        r.string("client_id")?,
        r.string("redirect_uri")?,
        r.string("code_challenge")?,
        r.strings("configuration_ids")?,
        r.time("expires_at")?,
    );
    p.state = r.opt_string("state")?;
    p.by_authorization_details = r.bool("by_authorization_details")?;
    p.issuer_state = r.opt_string("issuer_state")?;
    p.dpop_jkt = r.opt_string("dpop_jkt")?;
    p.instance_key = r.opt_string("instance_key")?;
    // Absent in requests stored before it was kept.
    p.granted_scope = r.opt_string("granted_scope")?;
    Ok(p)
}

pub(crate) fn pushed_to_json(p: &PushedRequest) -> String {
    pushed_value(p).to_string()
}

pub(crate) fn pushed_from_json(text: &str) -> Result<PushedRequest, StoreError> {
    pushed_from_value(&parse("pushed request", text)?)
}

pub(crate) fn issued_code_to_json(c: &IssuedCode) -> String {
    with_claims(
        json!({
            "grant": c.grant.as_str(),
            "request": pushed_value(&c.request),
            "expires_at": c.expires_at.secs(),
        }),
        &c.claims,
    )
    .to_string()
}

pub(crate) fn issued_code_from_json(text: &str) -> Result<IssuedCode, StoreError> {
    const WHAT: &str = "authorization code";
    let value = parse(WHAT, text)?;
    let r = Row::new(WHAT, &value)?;
    Ok(IssuedCode::new(
        GrantId::new(r.string("grant")?),
        pushed_from_value(r.field("request")?)?,
        r.claims()?,
        r.time("expires_at")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    /// A configuration's own claims survive the row, which then has no `claims` member (so a
    /// node of an earlier version refuses it instead of issuing the common claims); a row
    /// with common claims only is written as before, and a row written before reads as common
    /// claims alone; a malformed set is a corrupt row, not claims dropped.
    #[test]
    fn configuration_claims_round_trip_and_older_readers_refuse_them() {
        let common = object(json!({"birthdate": "1984-01-26"}));
        let claims = SubjectClaims::new(common.clone())
            .with_configuration("mdl", object(json!({"birth_date": "1984-01-26"})));
        let ids = vec!["pid".into(), "mdl".into()];
        let grant = PreAuthGrant::new(ids.clone(), claims.clone(), None, UnixTime::from_secs(100));
        let row = pre_auth_to_json(&grant);
        assert_eq!(
            pre_auth_from_json(&row).map(|back| back.claims).ok(),
            Some(claims)
        );
        let fields = parse("row", &row).ok().and_then(|v| v.as_object().cloned());
        assert!(fields.is_some_and(|f| !f.contains_key("claims")), "{row}");

        let plain = PreAuthGrant::new(ids, common.clone(), None, UnixTime::from_secs(100));
        let row = pre_auth_to_json(&plain);
        let fields = parse("row", &row).ok().and_then(|v| v.as_object().cloned());
        assert_eq!(
            fields.and_then(|f| f.get("claims").cloned()),
            Some(Value::Object(common))
        );
        assert!(!row.contains("subject_claims"), "{row}");

        let older =
            r#"{"configuration_ids":["pid"],"claims":{"a":1},"tx_code":null,"expires_at":100}"#;
        let Ok(back) = pre_auth_from_json(older) else {
            panic!("an older row reads");
        };
        assert_eq!(back.claims, SubjectClaims::new(object(json!({"a": 1}))));

        for bad in [
            r#""x""#,
            r#"{"common":{}}"#,
            r#"{"common":{},"by_configuration":{"mdl":1}}"#,
            r#"{"common":1,"by_configuration":{}}"#,
        ] {
            let row = format!(
                r#"{{"configuration_ids":["pid"],"subject_claims":{bad},"tx_code":null,"expires_at":100}}"#
            );
            assert_eq!(
                pre_auth_from_json(&row).err(),
                Some(corrupt("pre-authorized grant")),
                "{bad}"
            );
        }
    }
}
