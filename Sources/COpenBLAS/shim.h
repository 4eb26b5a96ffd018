#ifndef SWITCHBOARD_COPENBLAS_SHIM_H
#define SWITCHBOARD_COPENBLAS_SHIM_H

#include <cblas.h>

/* LAPACK's Cholesky routines, which OpenBLAS exports with the Fortran calling convention.
   Matrices are column-major; all arguments are passed by pointer. */
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info);
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void spotrs_(const char *uplo, const int *n, const int *nrhs, const float *a, const int *lda,
             float *b, const int *ldb, int *info);

#endif
