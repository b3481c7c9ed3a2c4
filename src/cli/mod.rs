//! The parts of the command line that are more than parse, call, print.

pub mod practice;
