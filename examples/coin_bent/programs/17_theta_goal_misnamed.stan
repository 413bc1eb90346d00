// Binomial heads; theta is the probability of heads, given the U-shaped Beta(0.5, 0.5) prior because the
// bent coin may be extreme.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> theta;
}
model {
  theta ~ beta(0.5, 0.5);
  num_heads ~ binomial(num_flips, theta);
}
