data {
  int<lower=1> N;
  vector[N] y;
}
parameters {
  real<lower=0> sigma;
}
model {
  sigma ~ normal(0, 3) T[0, ];
  y ~ normal(0, sigma);
}
