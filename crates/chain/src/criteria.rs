//! The job's criteria as the scorer reads them (in clearview-core, so the talent pool scores
//! with the same mapping as the chain).

pub use clearview_core::services::criteria::*;
