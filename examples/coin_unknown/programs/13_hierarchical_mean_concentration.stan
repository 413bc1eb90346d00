// Coins in general: the typical bias is around 0.5 (Beta(2, 2)) and the concentration of biases around it
// is uncertain (lognormal around 10). This coin's bias is beta with that mean and concentration.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> mu;
  real<lower=0> kappa;
  real<lower=0, upper=1> bias;
}
model {
  mu ~ beta(2, 2);
  kappa ~ lognormal(log(10), 1);
  bias ~ beta_proportion(mu, kappa);
  num_heads ~ binomial(num_flips, bias);
}
