// Binomial model: y heads in N flips, uniform prior on the bias.
data {
  int<lower=0> N; // number of flips
  int<lower=0, upper=N> y; // number of heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(1, 1);
  y ~ binomial(N, bias);
}
