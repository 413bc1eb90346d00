// Linear regression with known noise and a Gaussian prior on the coefficients.
data {
  int<lower=1> N;
  int<lower=1> K;
  matrix[N, K] X;
  vector[N] y;
  real<lower=0> sigma;
  real<lower=0> prior_sd;
}
parameters {
  vector[K] beta;
}
model {
  beta ~ normal(0, prior_sd);
  y ~ normal(X * beta, sigma);
}
