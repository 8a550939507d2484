//! `application/x-www-form-urlencoded` bodies (the WHATWG URL standard, "urlencoded parsing"):
//! what OAuth 2.0 token requests are (RFC 6749 §4.1.3), and what AWS STS queries are.

/// The decoded `name=value` pairs in order; a pair without `=` has an empty value.
pub(crate) fn parse(body: &[u8]) -> Vec<(String, String)> {
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &[][..]),
            };
            (decode(name), decode(value))
        })
        .collect()
}

/// The first value of `name`.
pub(crate) fn get<'f>(form: &'f [(String, String)], name: &str) -> Option<&'f str> {
    form.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// `+` is a space and `%XX` a byte; a `%` not followed by two hex digits stays as it is.
fn decode(text: &[u8]) -> String {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3).and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                });
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pairs() {
        let form = parse(b"grant_type=urn%3Aietf%3Aparams&a=b+c&empty=&bare&bad=%zz%4");
        assert_eq!(get(&form, "grant_type"), Some("urn:ietf:params"));
        assert_eq!(get(&form, "a"), Some("b c"));
        assert_eq!(get(&form, "empty"), Some(""));
        assert_eq!(get(&form, "bare"), Some(""));
        assert_eq!(get(&form, "bad"), Some("%zz%4"));
        assert_eq!(get(&form, "missing"), None);
    }
}
