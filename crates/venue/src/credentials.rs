//! API credentials and Binance's request signature.

use std::fmt;

use ring::hmac;

/// An API key and its secret. Read from the environment, never from a file
/// in the repository; `Debug` never prints the secret.
#[derive(Clone)]
pub struct Credentials {
    /// The public key, sent in `X-MBX-APIKEY`.
    pub api_key: String,
    secret: hmac::Key,
}

impl Credentials {
    /// Credentials from a key and its secret.
    pub fn new(api_key: impl Into<String>, secret: &str) -> Self {
        Self {
            api_key: api_key.into(),
            secret: hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()),
        }
    }

    /// Credentials from the environment variables `key_var` and
    /// `secret_var`; `None` if either is unset or empty.
    pub fn from_env(key_var: &str, secret_var: &str) -> Option<Self> {
        let key = std::env::var(key_var).ok().filter(|k| !k.is_empty())?;
        let secret = std::env::var(secret_var).ok().filter(|s| !s.is_empty())?;
        Some(Self::new(key, &secret))
    }

    /// HMAC-SHA256 of `payload` in lower-case hex, as Binance's
    /// `signature` parameter.
    pub fn sign(&self, payload: &str) -> String {
        let tag = hmac::sign(&self.secret, payload.as_bytes());
        let mut out = String::with_capacity(64);
        for b in tag.as_ref() {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        out
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of Binance's spot API documentation ("SIGNED
    /// endpoint examples for POST /api/v3/order").
    #[test]
    fn binance_documentation_example() {
        let c = Credentials::new(
            "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
        );
        let payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            c.sign(payload),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
        assert!(!format!("{c:?}").contains("NhqP"));
    }
}
