//! The index's twins for a site opened from disk (file://), where browsers refuse
//! `fetch()`: for each index file, a script `search/<path>.js` that hands the
//! same bytes, base64-encoded, to `casebookSearchFile` in search.js. In: one index
//! file's path and stored bytes; out: the twin's path and text. Hosted browsers
//! never load the twins, so they add bytes on disk only.

/// The twin of the index file at `path` (relative to the index folder) holding
/// `bytes`: its path next to the file, and a one-line script.
pub fn twin(path: &str, bytes: &[u8]) -> (String, String) {
    // serde_json writes a JSON string, which is also a valid JavaScript string.
    let name = serde_json::to_string(path).unwrap_or_else(|_| String::from("\"\""));
    let text = format!("casebookSearchFile({name},\"{}\");\n", base64(bytes));
    (format!("{path}.js"), text)
}

/// Standard base64 with padding (what the browser's `atob` reads).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn a_twin_calls_the_loader_with_its_path() {
        let (path, text) = twin("t/0.bin", b"hi");
        assert_eq!(path, "t/0.bin.js");
        assert_eq!(text, "casebookSearchFile(\"t/0.bin\",\"aGk=\");\n");
    }
}
