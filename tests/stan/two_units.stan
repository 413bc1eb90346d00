// Constraints, a transformed parameter, a generated quantity with an RNG and several densities:
// enough for a library built as one translation unit and one built as two to be compared.
data {
  int<lower=1> N;
  vector[N] y;
  array[N] int<lower=0> k;
  array[N] int<lower=0> trials;
}
parameters {
  real mu;
  real<lower=0> sigma;
  real<lower=0, upper=1> p;
  simplex[3] s;
}
transformed parameters {
  real scale = sigma * s[1];
}
model {
  mu ~ normal(0, 5);
  sigma ~ lognormal(0, 1);
  p ~ beta(2, 3);
  s ~ dirichlet([2, 3, 4]');
  y ~ normal(mu, sigma);
  k ~ binomial(trials, p);
}
generated quantities {
  real y_new = normal_rng(mu, sigma);
}
