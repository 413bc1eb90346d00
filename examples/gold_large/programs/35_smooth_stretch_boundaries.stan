// Gold lies in two stretches whose ends are unknown positions on the rod (ordered, uniform-ish prior); the
// probability of gold rises and falls smoothly (1 cm edges) at the ends; a test is wrong with a small probability.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  real edge = 1.0;
}
parameters {
  ordered[4] ends;
  real<lower=0, upper=1> error_rate;
}
transformed parameters {
  vector[num_train] p_train;
  vector[num_test] p_test;
  for (n in 1:num_train) {
    real x = train_locs[n];
    p_train[n] = 1 - (1 - inv_logit((x - ends[1]) / edge) * inv_logit((ends[2] - x) / edge))
                     * (1 - inv_logit((x - ends[3]) / edge) * inv_logit((ends[4] - x) / edge));
  }
  for (j in 1:num_test) {
    real x = test_locs[j];
    p_test[j] = 1 - (1 - inv_logit((x - ends[1]) / edge) * inv_logit((ends[2] - x) / edge))
                    * (1 - inv_logit((x - ends[3]) / edge) * inv_logit((ends[4] - x) / edge));
  }
}
model {
  ends ~ normal(rod_length / 2, rod_length / 3);
  error_rate ~ beta(2, 20);
  gold_train ~ bernoulli(error_rate + (1 - 2 * error_rate) * p_train);
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test = bernoulli_rng(p_test);
}
