//! The state every handler sees: the ports and the cursor key, built once per process.

use crate::cursor::CursorKey;
use clearview_core::Deps;

#[derive(Clone)]
pub struct App {
    pub deps: Deps,
    pub cursors: CursorKey,
}

impl App {
    pub fn new(deps: Deps, cursors: CursorKey) -> Self {
        Self { deps, cursors }
    }
}
