// Binomial heads with a Beta(50, 50) prior on the probability of heads, as befits a standard penny.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> p_heads;
}
model {
  p_heads ~ beta(50, 50);
  num_heads ~ binomial(num_flips, p_heads);
}
