// The scale's prior is written without truncation: as Stan evaluates it, it integrates to 1/2.
data {
  int<lower=1> N;
  vector[N] y;
}
parameters {
  real<lower=0> sigma;
}
model {
  sigma ~ normal(0, 3);
  y ~ normal(0, sigma);
}
