// A Beta(2, 2) prior gently favours a fair coin (most coins are) while leaving the bias free; binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(2, 2);
  num_heads ~ binomial(num_flips, bias);
}
