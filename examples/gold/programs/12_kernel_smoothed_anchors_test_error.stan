// Gold probability is set at anchor points every 5 cm and smoothed between them with a Gaussian kernel of unknown
// bandwidth (a nearest-neighbour-like average); tests are wrong with a small probability.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int A = 21;
  array[A] real anchors;
  for (a in 1:A) anchors[a] = (a - 1) * rod_length / (A - 1);
}
parameters {
  vector<lower=0, upper=1>[A] theta;
  real<lower=0> bandwidth;
  real<lower=0, upper=1> error_rate;
}
transformed parameters {
  vector[num_train] p_train;
  vector[num_test] p_test;
  for (n in 1:num_train) {
    vector[A] k;
    for (a in 1:A) k[a] = exp(-0.5 * square((train_locs[n] - anchors[a]) / bandwidth));
    p_train[n] = dot_product(k, theta) / sum(k);
  }
  for (j in 1:num_test) {
    vector[A] k;
    for (a in 1:A) k[a] = exp(-0.5 * square((test_locs[j] - anchors[a]) / bandwidth));
    p_test[j] = dot_product(k, theta) / sum(k);
  }
}
model {
  theta ~ beta(0.5, 0.5);
  bandwidth ~ lognormal(log(4), 0.5);
  error_rate ~ beta(2, 30);
  gold_train ~ bernoulli(error_rate + (1 - 2 * error_rate) * p_train);
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test = bernoulli_rng(p_test);
}
