//! The reproductions: each composes data, methods, forest and audit into a report that carries the
//! paper's numbers beside ours.

mod aimfair;
mod aimfair_images;
mod aimfair_images_render;
mod aimfair_render;
mod distillation;
mod distillation_render;
mod fair4free;
mod fair4free_render;
mod fair4free_images;
mod fair4free_images_render;
mod paired;
pub mod shard;

pub use distillation::{
    assemble_distillation, distillation_seed, DistillationData, DistillationSeedCell, Scores as DistillationScores, distilled_name, paper_trifeature, reproduce_distillation, DistillationPaperRow, DistillationReport, DistillationRow,
    DistillationStudyParams, StudyProgress,
};
pub use aimfair::{
    aimfair_seed, assemble_aimfair, AimFairData, AimFairSeedCell, SeedScore, cells_for, reproduce_aimfair, AimFairReport, AimFairRow, AimFairStudyParams, PaperContext, SelectedTensor, SetSummary,
    ThirdPartyNumbers, AIMFAIR_METHODS, AIMFAIR_REFERENCES,
};
pub use aimfair_images::{
    aimfair_images_seed, assemble_aimfair_images, AimFairImageContext, AimFairImageData, AimFairImageSeedCell, reproduce_aimfair_images, AimFairImageReport, AimFairImageStudyParams, BiasCheck, KSweepRow, PairedDifference, SeedValues, AIMFAIR_IMAGE_STRATEGIES,
};
pub use fair4free::{
    assemble_fair4free, check_fair4free_study, fair4free_seed, reproduce_fair4free, Fair4FreeReport, Fair4FreeSeedCell, MethodCell, StudyDataset, Fair4FreeStudyParams, MethodRow, PaperNumbers, Stat, SweepPoint,
};
pub use fair4free_images::{
    assemble_fair4free_images, fair4free_images_seed, Fair4FreeImageData, Fair4FreeImageSeedCell, ImageSeedScores, ImageStudyContext, grid_png, reproduce_fair4free_images, Fair4FreeImageReport, Fair4FreeImageStudyParams, ImageMethodRow, SampleGrid, IMAGE_METHODS,
};
