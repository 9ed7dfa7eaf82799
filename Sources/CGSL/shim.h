// The GNU Scientific Library headers vrsim uses. This module exposes no API of its own;
// every call goes through Sources/GSLKit/GSLCalls.swift.
#ifndef VRSIM_CGSL_SHIM_H
#define VRSIM_CGSL_SHIM_H
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_vector.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_qrng.h>

// GSL's algorithm tables are mutable C globals; Swift 6 treats reading one as shared mutable
// state. These accessors read them once per call, from C.
static inline const gsl_qrng_type *vrsim_gsl_qrng_sobol(void) { return gsl_qrng_sobol; }
static inline const gsl_multimin_fminimizer_type *vrsim_gsl_nmsimplex2(void) {
  return gsl_multimin_fminimizer_nmsimplex2;
}
static inline const gsl_multifit_nlinear_type *vrsim_gsl_nlinear_trust(void) {
  return gsl_multifit_nlinear_trust;
}
static inline const gsl_multifit_nlinear_trs *vrsim_gsl_nlinear_trs_lm(void) {
  return gsl_multifit_nlinear_trs_lm;
}
static inline const gsl_multifit_nlinear_solver *vrsim_gsl_nlinear_solver_svd(void) {
  return gsl_multifit_nlinear_solver_svd;
}
static inline const gsl_multifit_nlinear_scale *vrsim_gsl_nlinear_scale_more(void) {
  return gsl_multifit_nlinear_scale_more;
}
#endif
