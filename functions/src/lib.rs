//! Composition roots shared by the Lambda binaries.
