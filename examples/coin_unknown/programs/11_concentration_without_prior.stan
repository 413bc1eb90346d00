// Coins are usually near fair, but how near is unknown: the bias is beta with mean 0.5 and an unknown
// concentration learned from the data. Binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0> concentration;
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta_proportion(0.5, concentration);
  num_heads ~ binomial(num_flips, bias);
}
