//! `application/x-www-form-urlencoded` bodies, as browsers send plain forms.

use std::collections::HashMap;

/// The fields of a form body; later duplicates win.
pub fn parse(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_decoded_as_browsers_encode_them() {
        let f = parse("form_key=abc_-1&note=Met+family%2C+next+at+10%3A00+%E2%80%93+ok&status=done&bad=%zz%");
        assert_eq!(f["note"], "Met family, next at 10:00 – ok");
        assert_eq!(f["status"], "done");
        assert_eq!(f["form_key"], "abc_-1");
        assert_eq!(f["bad"], "%zz%");
    }
}
