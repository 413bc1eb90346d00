// Three independent conjugate models in one program (the posterior factorises):
// normal mean with known sd, beta-binomial, gamma-poisson.
data {
  int<lower=1> N;
  vector[N] y;
  real<lower=0> sigma;
  real mu0;
  real<lower=0> tau0;
  int<lower=0> n;
  int<lower=0, upper=n> h;
  real<lower=0> alpha;
  real<lower=0> beta;
  int<lower=1> M;
  array[M] int<lower=0> counts;
  real<lower=0> shape;
  real<lower=0> rate;
}
parameters {
  real mu;
  real<lower=0, upper=1> theta;
  real<lower=0> lambda;
}
model {
  mu ~ normal(mu0, tau0);
  y ~ normal(mu, sigma);
  theta ~ beta(alpha, beta);
  h ~ binomial(n, theta);
  lambda ~ gamma(shape, rate);
  counts ~ poisson(lambda);
}
generated quantities {
  real y_new = normal_rng(mu, sigma);
}
