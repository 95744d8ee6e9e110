//! AES-256-GCM (aws-lc-rs) with a random 96-bit nonce per sealing, the
//! nonce stored in front of the ciphertext and tag. Associated data binds a
//! ciphertext to where it belongs: opening with any other binding fails.

use crate::ports::keys::PlainKey;
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};

/// The ciphertext did not authenticate under this key and binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the sealed data does not open with this key and binding")]
pub struct OpenError;

fn cipher(key: &PlainKey) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.bytes()).expect("a 256-bit key is valid for AES-256-GCM"))
}

/// `nonce || ciphertext || tag`.
pub fn seal(key: &PlainKey, binding: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).expect("operating system random source");
    let mut in_out = plaintext.to_vec();
    cipher(key)
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(binding), &mut in_out)
        .expect("sealing a bounded plaintext cannot fail");
    let mut out = nonce.to_vec();
    out.append(&mut in_out);
    out
}

pub fn open(key: &PlainKey, binding: &[u8], sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
    if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
        return Err(OpenError);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| OpenError)?;
    let mut in_out = body.to_vec();
    let plain = cipher(key).open_in_place(nonce, Aad::from(binding), &mut in_out).map_err(|_| OpenError)?;
    Ok(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_with_its_own_key_and_binding() {
        let key = PlainKey::random();
        let sealed = seal(&key, b"inc-1/sub-1", b"Jane Doe");
        assert!(!sealed.windows(8).any(|w| w == b"Jane Doe"), "ciphertext holds no plaintext");
        assert_eq!(open(&key, b"inc-1/sub-1", &sealed).unwrap(), b"Jane Doe");
        assert_eq!(open(&key, b"inc-2/sub-1", &sealed), Err(OpenError));
        assert_eq!(open(&PlainKey::random(), b"inc-1/sub-1", &sealed), Err(OpenError));
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(open(&key, b"inc-1/sub-1", &flipped), Err(OpenError));
        assert_eq!(open(&key, b"inc-1/sub-1", &sealed[..10]), Err(OpenError));
        assert_ne!(seal(&key, b"x", b"same"), seal(&key, b"x", b"same"), "a fresh nonce each time");
    }
}
