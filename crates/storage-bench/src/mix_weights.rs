//! The weights of the mixed workload (`get=45,head=30,put=15,delete=10`, warp's default
//! proportions) and the reproducible sequence of operation kinds they draw.

use std::str::FromStr;

use report_model::StorageOperation;

use crate::StorageError;

/// Relative weights of the operations of the mixed workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MixWeights {
    /// Whole-object reads (verified by SHA-256).
    pub get: u32,
    /// Metadata reads.
    pub head: u32,
    /// New objects.
    pub put: u32,
    /// Deletes of objects the mix wrote.
    pub delete: u32,
}

impl Default for MixWeights {
    /// warp's default mix: 45 % get, 30 % stat, 15 % put, 10 % delete.
    fn default() -> Self {
        MixWeights {
            get: 45,
            head: 30,
            put: 15,
            delete: 10,
        }
    }
}

impl FromStr for MixWeights {
    type Err = StorageError;

    /// `get=45,head=30,put=15,delete=10`; operations left out weigh 0.
    fn from_str(text: &str) -> Result<MixWeights, StorageError> {
        let invalid = |message: String| StorageError::Config { message };
        let mut weights = MixWeights {
            get: 0,
            head: 0,
            put: 0,
            delete: 0,
        };
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| invalid(format!("mix entry `{item}` is not like get=45")))?;
            let value: u32 = value
                .trim()
                .parse()
                .map_err(|_| invalid(format!("mix weight `{value}` is not a whole number")))?;
            match name.trim() {
                "get" => weights.get = value,
                "head" => weights.head = value,
                "put" => weights.put = value,
                "delete" => weights.delete = value,
                other => {
                    return Err(invalid(format!(
                        "unknown mix operation `{other}` (get, head, put, delete)"
                    )));
                }
            }
        }
        if weights.total() == 0 {
            return Err(invalid("the mix weights add up to zero".to_owned()));
        }
        Ok(weights)
    }
}

impl MixWeights {
    fn total(self) -> u32 {
        self.get + self.head + self.put + self.delete
    }

    /// `n` operation kinds drawn with these weights from a generator seeded with `seed`.
    pub fn sequence(self, n: usize, seed: u64) -> Vec<StorageOperation> {
        let mut state = seed | 1;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let mut pick = u32::try_from(state % u64::from(self.total())).unwrap_or(0);
                for (weight, operation) in [
                    (self.get, StorageOperation::Get),
                    (self.head, StorageOperation::Head),
                    (self.put, StorageOperation::Put),
                    (self.delete, StorageOperation::Delete),
                ] {
                    if pick < weight {
                        return operation;
                    }
                    pick -= weight;
                }
                StorageOperation::Get
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse_and_draw_in_proportion() {
        let weights: MixWeights = "get=45, head=30,put=15,delete=10".parse().unwrap();
        assert_eq!(weights, MixWeights::default());
        let kinds = weights.sequence(10_000, 42);
        assert_eq!(kinds, weights.sequence(10_000, 42), "reproducible");
        let share = |op| kinds.iter().filter(|k| **k == op).count() as f64 / 100.0;
        for (op, percent) in [
            (StorageOperation::Get, 45.0),
            (StorageOperation::Head, 30.0),
            (StorageOperation::Put, 15.0),
            (StorageOperation::Delete, 10.0),
        ] {
            assert!((share(op) - percent).abs() < 2.0, "{op}: {}", share(op));
        }
        let only_gets: MixWeights = "get=1".parse().unwrap();
        assert!(
            only_gets
                .sequence(100, 1)
                .iter()
                .all(|k| *k == StorageOperation::Get)
        );
        for bad in ["get=x", "fly=3", "get=0,put=0", "get"] {
            assert!(bad.parse::<MixWeights>().is_err(), "{bad}");
        }
    }
}
