data {
  int<lower=0> n;
  int<lower=0, upper=n> k;
  real<lower=0> a;
  real<lower=0> b;
}
parameters {
  real<lower=0, upper=1> theta;
}
model {
  theta ~ beta(a, b);
  k ~ binomial(n, theta);
}
