//! Building the manifest's capability request: start from nothing and add
//! only what the driver needs (`Capabilities::none().with_state()`).

use crate::{Capabilities, FolderAccess};

impl Capabilities {
    /// Asks for nothing: the default every driver should start from.
    pub fn none() -> Self {
        Capabilities {
            http: Vec::new(),
            secrets: Vec::new(),
            tcp: Vec::new(),
            folder: None,
            state: false,
        }
    }

    /// Adds the per-slot key-value store.
    pub fn with_state(mut self) -> Self {
        self.state = true;
        self
    }

    /// Adds the slot's folder (seen at `/data`).
    pub fn with_folder(mut self, access: FolderAccess) -> Self {
        self.folder = Some(access);
        self
    }

    /// Adds outbound HTTP origins (`https://api.example.com`, `https://*.example.com`).
    pub fn with_http<S: Into<String>>(mut self, origins: impl IntoIterator<Item = S>) -> Self {
        self.http.extend(origins.into_iter().map(Into::into));
        self
    }

    /// Adds TCP endpoints (`*:5432`).
    pub fn with_tcp<S: Into<String>>(mut self, endpoints: impl IntoIterator<Item = S>) -> Self {
        self.tcp.extend(endpoints.into_iter().map(Into::into));
        self
    }

    /// Adds secrets by name (`VERCEL_TOKEN`).
    pub fn with_secrets<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.secrets.extend(names.into_iter().map(Into::into));
        self
    }
}
