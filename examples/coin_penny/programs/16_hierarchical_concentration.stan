// The bias is beta with mean 0.5 and an uncertain concentration: most likely a very fair coin
// (concentration in the hundreds), but a lognormal prior leaves room for a slightly biased one.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0> concentration;
  real<lower=0, upper=1> bias;
}
model {
  concentration ~ lognormal(log(200), 0.75);
  bias ~ beta_proportion(0.5, concentration);
  num_heads ~ binomial(num_flips, bias);
}
