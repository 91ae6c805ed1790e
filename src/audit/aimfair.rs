//! AIM-Fair's group metrics over (label, group) cells (SPEC part B; AIM-Fair, Zhao et al. 2025).

use serde::{Deserialize, Serialize};

use crate::audit::groups::GroupKey;
use crate::audit::value::Value;

/// One (true label, group) cell: its row count and the accuracy on it (the TPR of the group for
/// label 1, its TNR for label 0).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub label: u32,
    pub group: String,
    pub n: u64,
    pub accuracy: f64,
}

/// Worst-group accuracy and the spread of cell accuracies.
///
/// WST = min over non-empty (label, group) cells of the cell accuracy, naming the first cell in
/// (label, group) order that reaches it; STD = the population standard deviation (ddof 0) of the
/// cell accuracies, unweighted. Ideal: WST as high as the overall accuracy, STD 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellSummary {
    pub cells: Vec<Cell>,
    pub worst_group_accuracy: Value,
    pub worst_cell: Option<Cell>,
    pub group_accuracy_std: Value,
}

/// `correct[label][group]` and `count[label][group]` → the cell summary.
pub(crate) fn cell_summary(keys: &[GroupKey], counts: &[Vec<(u64, u64)>]) -> CellSummary {
    let mut cells = Vec::new();
    for (label, per_group) in counts.iter().enumerate() {
        for (key, &(correct, n)) in keys.iter().zip(per_group) {
            if n > 0 {
                cells.push(Cell {
                    label: label as u32,
                    group: key.to_string(),
                    n,
                    accuracy: correct as f64 / n as f64,
                });
            }
        }
    }
    if cells.is_empty() {
        return CellSummary {
            cells,
            worst_group_accuracy: Value::undefined("no rows"),
            worst_cell: None,
            group_accuracy_std: Value::undefined("no rows"),
        };
    }
    let mut worst = &cells[0];
    for c in &cells[1..] {
        if c.accuracy < worst.accuracy {
            worst = c;
        }
    }
    let mean = cells.iter().map(|c| c.accuracy).sum::<f64>() / cells.len() as f64;
    let var = cells.iter().map(|c| (c.accuracy - mean).powi(2)).sum::<f64>() / cells.len() as f64;
    CellSummary {
        worst_group_accuracy: Value::Defined(worst.accuracy),
        worst_cell: Some(worst.clone()),
        group_accuracy_std: Value::Defined(var.sqrt()),
        cells,
    }
}
