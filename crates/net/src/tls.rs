//! TLS set-up shared by the WebSocket and REST clients.

/// Makes *ring* the process's rustls crypto provider, once. Both clients
/// use rustls without a built-in provider, so the build pulls one crypto
/// library (ring) rather than two.
pub fn install_crypto_provider() {
    // Fails only if a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
