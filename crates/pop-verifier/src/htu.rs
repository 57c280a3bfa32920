//! Normalisation of `htu` and request URIs for comparison (RFC 9449 §4.3 point 9, RFC 3986 §6).

/// Normalises an absolute `http`/`https` URI for DPoP `htu` comparison.
///
/// Applied (RFC 3986 §6.2.2-6.2.3): the query and fragment are dropped (RFC 9449 §4.3 point 9);
/// scheme and host are lowercased; percent-encodings get uppercase hex digits and encoded
/// unreserved characters are decoded; dot segments are removed; an empty or default port (80
/// for http, 443 for https) is removed; an empty path becomes `/`.
///
/// Returns `None` for anything else: another scheme, no `//` authority, userinfo, an empty
/// host, a bad port, a malformed percent-encoding, or a byte that is not visible ASCII.
///
/// ```
/// use pop_verifier::normalize_htu;
/// assert_eq!(
///     normalize_htu("HTTPS://Server.Example.COM:443/a/./b/../%7euser?q=1#f").as_deref(),
///     Some("https://server.example.com/a/~user")
/// );
/// ```
#[must_use]
pub fn normalize_htu(uri: &str) -> Option<String> {
    if !uri.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return None;
    }
    let without_fragment = uri.split_once('#').map_or(uri, |(before, _)| before);
    let without_query = without_fragment
        .split_once('?')
        .map_or(without_fragment, |(before, _)| before);
    let (scheme, rest) = without_query.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return None;
    }
    let (host, port) = split_port(authority)?;
    if host.is_empty() {
        return None;
    }
    let host = host.to_ascii_lowercase();
    let mut out = format!("{scheme}://{host}");
    if let Some(port) = port
        && port != default_port
    {
        out.push(':');
        out.push_str(&port.to_string());
    }
    let path = normalize_percent(path)?;
    let path = remove_dot_segments(&path);
    if path.is_empty() {
        out.push('/');
    } else {
        out.push_str(&path);
    }
    Some(out)
}

/// Splits `host[:port]` (host may be a bracketed IPv6 literal). An empty port is absent.
fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end.checked_add(1)?);
        match rest.strip_prefix(':') {
            Some(port) => (host, port),
            None if rest.is_empty() => (host, ""),
            None => return None,
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, port),
            None => (authority, ""),
        }
    };
    if port.is_empty() {
        return Some((host, None));
    }
    if port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    port.parse().ok().map(|p| (host, Some(p)))
}

/// Uppercases percent-encoding hex digits and decodes encoded unreserved characters.
fn normalize_percent(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = hex(*bytes.get(i.checked_add(1)?)?)?;
            let lo = hex(*bytes.get(i.checked_add(2)?)?)?;
            let value = hi.checked_mul(16)?.checked_add(lo)?;
            if value.is_ascii_alphanumeric() || matches!(value, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(value));
            } else {
                out.push('%');
                out.push(char::from(HEX_UPPER.get(usize::from(hi)).copied()?));
                out.push(char::from(HEX_UPPER.get(usize::from(lo)).copied()?));
            }
            i = i.checked_add(3)?;
        } else {
            out.push(char::from(b));
            i = i.checked_add(1)?;
        }
    }
    Some(out)
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// RFC 3986 §5.2.4 on a path that is empty or starts with `/`.
fn remove_dot_segments(path: &str) -> String {
    let mut output: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." => {
                if i == last {
                    output.push("");
                }
            }
            ".." => {
                output.pop();
                if i == last {
                    output.push("");
                }
            }
            s => output.push(s),
        }
    }
    if output.is_empty() {
        return if path.is_empty() {
            String::new()
        } else {
            "/".to_owned()
        };
    }
    let mut out = String::with_capacity(path.len());
    for s in output {
        out.push('/');
        out.push_str(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9449_example_forms_compare_equal() {
        let want = Some("https://server.example.com/token".to_owned());
        for uri in [
            "https://server.example.com/token",
            "HTTPS://SERVER.EXAMPLE.COM/token",
            "https://server.example.com:443/token",
            "https://server.example.com:/token",
            "https://server.example.com/token?x=1",
            "https://server.example.com/token#frag",
            "https://server.example.com/./token",
            "https://server.example.com/a/../token",
            "https://server.example.com/%74oken",
        ] {
            assert_eq!(normalize_htu(uri), want, "{uri}");
        }
    }

    #[test]
    fn significant_differences_remain() {
        assert_eq!(
            normalize_htu("https://server.example.com/Token").as_deref(),
            Some("https://server.example.com/Token")
        );
        assert_eq!(
            normalize_htu("http://server.example.com:443/t").as_deref(),
            Some("http://server.example.com:443/t")
        );
        assert_eq!(
            normalize_htu("https://server.example.com:8443").as_deref(),
            Some("https://server.example.com:8443/")
        );
        assert_eq!(
            normalize_htu("https://h/a%2fb%2F").as_deref(),
            Some("https://h/a%2Fb%2F")
        );
        assert_eq!(
            normalize_htu("https://[::1]:443/x").as_deref(),
            Some("https://[::1]/x")
        );
        assert_eq!(
            normalize_htu("https://h/a/b/..").as_deref(),
            Some("https://h/a/")
        );
        assert_eq!(normalize_htu("https://h/..").as_deref(), Some("https://h/"));
    }

    #[test]
    fn invalid_uris_are_refused() {
        for uri in [
            "",
            "server.example.com/token",
            "ftp://server.example.com/",
            "https:/server.example.com/",
            "https://user@server.example.com/",
            "https:///token",
            "https://h:99999/",
            "https://h:12a/",
            "https://h/%zz",
            "https://h/%4",
            "https://h/a b",
            "https://h/ü",
            "https://[::1/",
            "https://[::1]x/",
        ] {
            assert_eq!(normalize_htu(uri), None, "{uri:?}");
        }
    }
}
