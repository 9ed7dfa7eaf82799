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
#endif
