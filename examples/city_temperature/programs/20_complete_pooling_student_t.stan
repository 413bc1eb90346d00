// One regression for all cities (complete pooling) with heavy-tailed Student-t errors for the occasional
// sudden change of weather.
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
parameters {
  real alpha;
  real beta;
  real<lower=0> sigma;
  real<lower=1> nu;
}
model {
  alpha ~ normal(70, 20);
  beta ~ normal(1, 0.5);
  sigma ~ normal(0, 10) T[0, ];
  nu ~ gamma(2, 0.1) T[1, ];
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ student_t(nu, alpha + beta * (day1_temp_train[c, d] - 70), sigma);
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = student_t_rng(nu, alpha + beta * (day1_temp_test[c, d] - 70), sigma);
    }
  }
}
