//! Model descriptions and what follows from the architecture alone: parameter counts and FLOPs per
//! token.

pub mod architecture;
pub mod flops;
pub mod params;
pub mod spec;

pub use architecture::{Architecture, Checked, Invalid, Kind, StackKind};

use crate::domain::claims::Claims;
use crate::error::{Error, Result};

/// A loaded model: what the preset says about it, checked.
#[derive(Clone, Debug)]
pub struct Model {
    /// The name it was loaded by: the preset name or the file path.
    pub id: String,
    pub name: String,
    pub family: Option<String>,
    pub source: String,
    pub notes: Option<String>,
    pub claims: Claims,
    architecture: Option<Architecture>,
    /// Architecture fields the preset does not give (empty when it is complete).
    missing: Vec<String>,
    /// What an imported config could not express (empty for presets).
    pub warnings: Vec<String>,
}

impl Model {
    /// Builds a model from a parsed spec. A partial architecture is kept as the list of what is
    /// missing; a value that is not allowed is returned as a problem for the loader to locate.
    pub fn from_spec(id: String, spec: spec::ModelSpec) -> Result<Model, Invalid> {
        let (architecture, missing) = match architecture::check(&spec)? {
            Checked::Complete(arch) => (Some(*arch), Vec::new()),
            Checked::Partial(missing) => (None, missing),
            Checked::Absent => (
                None,
                vec!["[architecture]".into(), "[decoder] or [encoder]".into()],
            ),
        };
        Ok(Model {
            id,
            name: spec.name,
            family: spec.family,
            source: spec.source,
            notes: spec.notes,
            claims: spec.claims,
            architecture,
            missing,
            warnings: Vec::new(),
        })
    }

    /// The architecture, or an error naming the fields `what` needs and the preset lacks.
    pub fn architecture(&self, what: &'static str) -> Result<&Architecture> {
        self.architecture.as_ref().ok_or_else(|| Error::Incomplete {
            model: self.id.clone(),
            what,
            missing: self.missing.clone(),
        })
    }

    /// The architecture, if the preset describes one completely.
    pub fn try_architecture(&self) -> Option<&Architecture> {
        self.architecture.as_ref()
    }
}
